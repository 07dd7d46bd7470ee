// The network as the user has it: which proxy (if any) a URL goes through, which extra certificate authority is
// trusted, and the one rule that decides both for fetch, the Xet workers' node:https requests, git and git-lfs.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync, existsSync, mkdirSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkServerIdentity, rootCertificates, type PeerCertificate } from "node:tls";
import { HttpProxyAgent } from "http-proxy-agent";
import { HttpsProxyAgent } from "https-proxy-agent";
import { Agent, Dispatcher, ProxyAgent, fetch as undiciFetch } from "undici";
import { DownloadError } from "../errors";

/** Plain data (it crosses into worker threads): the proxy and trust settings every request of a run uses. */
export interface NetworkOptions {
  /** Proxy for https:// URLs, e.g. http://user:password@proxy.corp:3128. */
  httpsProxy?: string;
  /** Proxy for http:// URLs. */
  httpProxy?: string;
  /** Hosts reached directly: comma or space separated names, `.domain` / `*.domain` suffixes, `host:port`, `*`. */
  noProxy?: string;
  /** A `Proxy-Authorization` header value (VS Code's `http.proxyAuthorization`); user:password in the URL also works. */
  proxyAuthorization?: string;
  /** A PEM file of certificate authorities trusted in addition to the built-in ones (a private/inspecting CA). */
  caFile?: string;
  /**
   * The caFile is already trusted by this Node process (NODE_EXTRA_CA_CERTS, read at start and inherited by
   * workers), so only git needs to be told. Default false.
   */
  caTrustedByNode?: boolean;
  /** The operating system's CA bundle (VS Code's `http.systemCertificates`), trusted beside the built-in roots. */
  systemCaFile?: string;
  /** False turns certificate checks off (VS Code's `http.proxyStrictSSL: false`). Default true. */
  strictSSL?: boolean;
}

/** The CLI's view: HTTPS_PROXY, HTTP_PROXY, NO_PROXY (either case; lower case wins as in curl) and NODE_EXTRA_CA_CERTS. */
export function networkFromEnv(env: NodeJS.ProcessEnv = process.env): NetworkOptions {
  const pick = (name: string) => (env[name.toLowerCase()] || env[name.toUpperCase()] || "").trim() || undefined;
  const caFile = env.NODE_EXTRA_CA_CERTS?.trim() || undefined;
  return {
    httpsProxy: pick("https_proxy"),
    httpProxy: pick("http_proxy"),
    noProxy: pick("no_proxy"),
    ...(caFile ? { caFile, caTrustedByNode: true } : {}),
  };
}

let current: NetworkOptions | undefined;

/** Sets the network settings of this process (the extension maps VS Code's settings here); undefined: from the environment. */
export function configureNetwork(options: NetworkOptions | undefined): void {
  current = options;
  dispatcher = undefined;
}

/** The settings in force: configured ones, else those of `env` (default: this process's). */
export function currentNetwork(env: NodeJS.ProcessEnv = process.env): NetworkOptions {
  return current ?? networkFromEnv(env);
}

/** The one rule: the proxy URL a request to `url` goes through, or undefined to connect directly. */
export function proxyForUrl(url: string | URL, net: NetworkOptions): string | undefined {
  const u = typeof url === "string" ? new URL(url) : url;
  const proxy = u.protocol === "https:" ? net.httpsProxy : u.protocol === "http:" ? net.httpProxy ?? net.httpsProxy : undefined;
  if (!proxy) return undefined;
  return bypassesProxy(u, net.noProxy) ? undefined : normalizeProxy(proxy);
}

function normalizeProxy(proxy: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(proxy) ? proxy : `http://${proxy}`;
}

function bypassesProxy(u: URL, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const host = u.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  const port = u.port || (u.protocol === "https:" ? "443" : "80");
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === "*") return true;
    const m = /^(.*?)(?::(\d+))?$/.exec(entry.replace(/^\[|\](?=:|$)/g, ""))!;
    const name = m[1].replace(/^\*?\./, "");
    if (m[2] && m[2] !== port) continue;
    if (host === name || host.endsWith(`.${name}`)) return true;
  }
  return false;
}

/** The CA bundle (PEM) for explicit trust: the built-in roots plus the system bundle and the configured file. */
function trustedCa(net: NetworkOptions): string[] | undefined {
  const extra = extraCaFiles(net, net.caTrustedByNode !== true);
  if (extra.length === 0) return undefined;
  return [...rootCertificates, ...extra.map((file) => readFileSync(file, "utf8"))];
}

function extraCaFiles(net: NetworkOptions, withCaFile: boolean): string[] {
  return [net.systemCaFile, withCaFile ? net.caFile : undefined].filter((f): f is string => f !== undefined);
}

function tlsOptions(net: NetworkOptions): { ca?: string[]; rejectUnauthorized?: boolean } {
  const ca = trustedCa(net);
  return { ...(ca ? { ca } : {}), ...(net.strictSSL === false ? { rejectUnauthorized: false } : {}) };
}

/** Routes each request (each redirect hop too) by its own origin: through its proxy, or directly. */
class RoutingDispatcher extends Dispatcher {
  private readonly direct: Agent;
  private readonly proxies = new Map<string, ProxyAgent>();

  constructor(private readonly net: NetworkOptions) {
    super();
    this.direct = new Agent({ connect: tlsOptions(net) });
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandlers): boolean {
    const proxy = proxyForUrl(String(options.origin), this.net);
    if (!proxy) return this.direct.dispatch(options, handler);
    let agent = this.proxies.get(proxy);
    if (!agent) {
      const tls = tlsOptions(this.net);
      agent = new ProxyAgent({
        uri: proxy,
        ...(this.net.proxyAuthorization ? { token: this.net.proxyAuthorization } : {}),
        requestTls: tls,
        proxyTls: tls,
      });
      this.proxies.set(proxy, agent);
    }
    return agent.dispatch(options, handler);
  }

  override async close(): Promise<void> {
    await Promise.all([this.direct.close(), ...[...this.proxies.values()].map((a) => a.close())]);
  }

  override async destroy(): Promise<void> {
    await Promise.all([this.direct.destroy(), ...[...this.proxies.values()].map((a) => a.destroy())]);
  }
}

let dispatcher: RoutingDispatcher | undefined;

/** Whether the settings ask for anything the platform's defaults do not already do. */
function needsDispatcher(net: NetworkOptions): boolean {
  return !!(net.httpsProxy || net.httpProxy || trustedCa(net) || net.strictSSL === false);
}

/**
 * `fetch` with the network settings in force: every request of core (Hub API, resolve, xet-read-token, CAS)
 * goes through here. With settings to apply it is the undici package's own fetch with our dispatcher: VS Code
 * replaces the extension host's global fetch with one that applies its own proxy agent and drops ours.
 */
export const netFetch: typeof fetch = async (input, init) => {
  const net = currentNetwork();
  if (!needsDispatcher(net)) return fetch(input, init);
  dispatcher ??= new RoutingDispatcher(net);
  // A Request of the global class is foreign to the package's fetch: pass its parts instead.
  if (typeof input === "object" && !(input instanceof URL)) {
    const req = input as Request;
    const body = req.method === "GET" || req.method === "HEAD" ? undefined : await req.arrayBuffer();
    return undiciFetch(req.url, { method: req.method, headers: req.headers, redirect: req.redirect, signal: req.signal, body, ...(init as object), dispatcher } as never) as unknown as Promise<Response>;
  }
  return undiciFetch(input as string | URL, { ...(init as object), dispatcher } as never) as unknown as Promise<Response>;
};

/**
 * https-proxy-agent starts TLS inside the tunnel without the target host, so Node would check the certificate
 * against "localhost" for IP targets and without our CA; both are given per target here.
 */
class TunnelAgent extends HttpsProxyAgent<string> {
  constructor(proxy: string, options: ConstructorParameters<typeof HttpsProxyAgent<string>>[1], private readonly tls: { ca?: string[]; rejectUnauthorized?: boolean }) {
    super(proxy, options);
  }

  override connect(req: http.ClientRequest, opts: Parameters<HttpsProxyAgent<string>["connect"]>[1]) {
    const host = opts.host ?? "";
    const check = (_name: string, cert: PeerCertificate) => checkServerIdentity(host, cert);
    return super.connect(req, { ...opts, ...this.tls, checkServerIdentity: check } as typeof opts);
  }
}

/** The agent a worker's node:http(s) request to `url` uses: a CONNECT tunnel (https) or an absolute-URI proxy (http). */
export function createNodeAgents(net: NetworkOptions): (url: URL) => http.Agent {
  const tls = tlsOptions(net);
  const base = { keepAlive: true, maxSockets: Infinity };
  const direct = { http: new http.Agent(base), https: new https.Agent({ ...base, ...tls }) };
  const viaProxy = new Map<string, http.Agent>();
  const headers = net.proxyAuthorization ? { "Proxy-Authorization": net.proxyAuthorization } : undefined;
  return (url) => {
    const proxy = proxyForUrl(url, net);
    const secure = url.protocol === "https:";
    if (!proxy) return secure ? direct.https : direct.http;
    const key = `${secure ? "s" : ""} ${proxy}`;
    let agent = viaProxy.get(key);
    if (!agent) {
      agent = secure
        ? new TunnelAgent(proxy, { ...base, ...tls, ...(headers ? { headers } : {}) }, tls)
        : new HttpProxyAgent(proxy, { ...base, ...(headers ? { headers } : {}) });
      viaProxy.set(key, agent);
    }
    return agent;
  };
}

const PROXY_VARS = ["http_proxy", "https_proxy", "no_proxy", "all_proxy"];

/**
 * Environment for git and git-lfs: the proxy in both cases' variables (curl reads lower-case `http_proxy` only;
 * git-lfs either), and the CA as GIT_SSL_CAINFO for our runs only — never written to any git config, and a
 * proxy password never on a command line.
 */
export function applyGitNetworkEnv(env: NodeJS.ProcessEnv, net: NetworkOptions = currentNetwork()): void {
  for (const key of Object.keys(env)) if (PROXY_VARS.includes(key.toLowerCase())) delete env[key];
  const set = (name: string, value: string | undefined) => {
    if (!value) return;
    env[name] = value;
    env[name.toUpperCase()] = value;
  };
  set("https_proxy", net.httpsProxy && normalizeProxy(net.httpsProxy));
  set("http_proxy", (net.httpProxy ?? net.httpsProxy) && normalizeProxy((net.httpProxy ?? net.httpsProxy)!));
  set("no_proxy", net.noProxy);
  // git trusts exactly what our own requests trust: its curl may not read the bundle Node was pointed at.
  if (net.caFile || net.systemCaFile) env.GIT_SSL_CAINFO = gitCaBundle(extraCaFiles(net, true));
  if (net.strictSSL === false) env.GIT_SSL_NO_VERIFY = "1";
}

/** GIT_SSL_CAINFO replaces curl's bundle, so it gets the built-in roots plus the extra CAs (written once per content). */
function gitCaBundle(caFiles: string[]): string {
  const pem = `${[...rootCertificates, ...caFiles.map((file) => readFileSync(file, "utf8"))].join("\n")}\n`;
  const dir = join(tmpdir(), "hf-models-ca");
  const file = join(dir, `${createHash("sha256").update(pem).digest("hex").slice(0, 16)}.pem`);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, pem);
  }
  return file;
}

const TLS_CODES = /^(?:SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(?:_LOCALLY)?|CERT_[A-Z_]+|ERR_TLS_CERT_ALTNAME_INVALID|ERR_SSL_[A-Z_]+)$/;
const TLS_TEXT = /SSL certificate problem|server certificate verification failed|certificate signed by unknown authority|x509:|self[- ]signed certificate|unable to (?:get local issuer|verify the first) certificate|certificate (?:has expired|is not valid)|does not match certificate's altnames/i;

/** True when `err` (or its cause chain, or git's text) is a failed certificate check. */
export function isCertificateError(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === "string" && TLS_CODES.test(code)) return true;
    if (TLS_TEXT.test(String((e as Error).message ?? e))) return true;
  }
  return false;
}

/** The one sentence for an untrusted certificate: says what it is, names the host, says how to fix it. */
export function certificateError(host: string, cause: unknown): DownloadError {
  return new DownloadError(
    "tls",
    `The certificate of ${host} is not trusted (certificate problem: ${certReason(cause)}). If a private or TLS-inspecting certificate authority signed it, trust that CA: set NODE_EXTRA_CA_CERTS=/path/to/ca.pem for the CLI, or the "hfModels.caFile" setting in VS Code.`,
    { cause, detail: { host, reason: `the certificate of ${host} is not trusted` } },
  );
}

const CODE_WORDS: Record<string, string> = {
  SELF_SIGNED_CERT_IN_CHAIN: "self-signed certificate in the chain",
  DEPTH_ZERO_SELF_SIGNED_CERT: "self-signed certificate",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "issued by an unknown authority",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "issued by an unknown authority",
  CERT_HAS_EXPIRED: "expired",
  ERR_TLS_CERT_ALTNAME_INVALID: "issued for another host name",
};

function certReason(err: unknown): string {
  for (let e = err, depth = 0; e && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === "string" && TLS_CODES.test(code)) return CODE_WORDS[code] ? `${CODE_WORDS[code]}, ${code}` : code;
  }
  const text = err instanceof Error ? err.message : String(err);
  // git: "SSL certificate problem: self-signed certificate in certificate chain"; git-lfs: "x509: certificate signed by unknown authority".
  const said = /(?:SSL certificate problem|x509): ([^|\n]+)/.exec(text);
  if (said) return said[1]!.replace(/\s*\(possibly.*$/, "").trim().replace(/\.+$/, "");
  const m = TLS_TEXT.exec(text);
  return m ? m[0] : "unknown authority";
}
