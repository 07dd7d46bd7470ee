// The local Hub: two HTTP origins on loopback, like huggingface.co and its CDN/CAS hosts, each on its own
// host name (127.0.0.1 and 127.0.0.2 by default) so that clients which tell origins apart by host see two.
// The hub origin serves the API, resolve, git smart HTTP and the LFS batch API; the cdn origin serves
// Xet reconstructions, signed xorb ranges and LFS objects, and never needs the Hub token.
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { apiRoutes } from "./api";
import { controlRoutes } from "./control";
import { pageRoutes } from "./pages";
import { FAULTS, Pacer, WAN_PROFILE, hubError, type FaultName, type HubContext, type HubOptions, type HubReq, type Origin, type Route } from "./context";
import { gitRoutes, lfsObjectRoutes } from "./git/routes";
import { withHostileModes, type HostileMode } from "./hostile";
import { RateLimiter, withRateLimits } from "./rateLimit";
import { loadRepos } from "./loader";
import { formerIdMap, movedLocation, renamedRoute } from "./renames";
import type { RepoSource } from "./model";
import { casRoutes } from "./xet/routes";
import { XetStore } from "./xet/store";

export interface StartHubOptions extends HubOptions {
  repos: RepoSource[];
  /** Port of the hub origin; 0 picks a free one. The cdn origin always takes a free port. */
  port?: number;
  /** Address (and host name) of the hub origin. Default 127.0.0.1. */
  host?: string;
  /**
   * Address (and host name) of the cdn origin. Default 127.0.0.2: a different host name from the Hub's, as
   * cas-bridge.xethub.hf.co differs from huggingface.co. Clients treat a redirect to another port of the same
   * host as still the Hub (huggingface_hub relays same-host redirects), so only another name keeps them apart.
   */
  cdnHost?: string;
  /** Where bare repos and xorbs are written. Default: a fresh temporary folder, removed on close. */
  dataDir?: string;
  /** Files at least this large go to LFS even without a `.gitattributes` pattern. */
  lfsThresholdBytes?: number;
  /** Serve both origins over HTTPS with this key and certificate (PEM; the certificate names both hosts). */
  tls?: { key: string; cert: string; /** Another key and certificate for the cdn origin (e.g. from an untrusted CA). */ cdn?: { key: string; cert: string } };
  /**
   * Refusal mode: accept connections only from these source addresses (a forward proxy's), closing any other
   * before a byte is read, so a client that goes around the proxy fails instead of passing unnoticed.
   */
  acceptFrom?: string[];
}

export interface LocalHub {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  /** e.g. http://127.0.0.2:41235: another host name, as the real CDN/CAS hosts are. */
  cdnUrl: string;
  ctx: HubContext;
  /** Switch a fault on or off while running. */
  setFault(name: FaultName, on: boolean): void;
  /** Switch a hostile mode (hub/hostile.ts) on or off while running. */
  setHostile(mode: HostileMode, on: boolean): void;
  /** Forget the request log, the per-key fault counters and the rate-limit windows. */
  resetLog(): void;
  close(): Promise<void>;
}

export async function startHub(options: StartHubOptions): Promise<LocalHub> {
  const ownsDataDir = !options.dataDir;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), "hf-local-hub-")));
  const xet = await XetStore.open({ dataDir: join(dataDir, "xet") });
  const repos = await loadRepos({
    sources: options.repos,
    gitRoot: join(dataDir, "git"),
    xet,
    lfsThresholdBytes: options.lfsThresholdBytes ?? 10 * 1024 * 1024,
  });
  const { ctx, resetCounters } = createHubContext({ repos, xet, options });
  const hubRoutes = withRateLimits(withHostileModes("hub", [...apiRoutes, ...gitRoutes, ...controlRoutes, ...pageRoutes]));
  const cdnRoutes = withRateLimits(withHostileModes("cdn", [...casRoutes, ...lfsObjectRoutes]));
  const make = (handler: (req: IncomingMessage, res: ServerResponse) => void, pem?: { key: string; cert: string }): Server =>
    pem ? createTlsServer({ key: pem.key, cert: pem.cert }, handler) : createServer(handler);
  const hubServer = make((req, res) => dispatch(ctx, "hub", hubRoutes, req, res), options.tls);
  const cdnServer = make((req, res) => dispatch(ctx, "cdn", cdnRoutes, req, res), options.tls?.cdn ?? options.tls);
  for (const s of [hubServer, cdnServer]) {
    if (options.acceptFrom) {
      const allowed = new Set(options.acceptFrom);
      s.on("connection", (socket) => {
        const from = (socket.remoteAddress ?? "").replace(/^::ffff:/, "");
        if (allowed.has(from)) return;
        process.stderr.write(`hub: refused a connection from ${from} (not the proxy)\n`);
        socket.destroy();
      });
    }
    // Long keep-alive: clients reuse connections across slow xorb fetches (see CLIENT_PROTOCOL §5).
    s.keepAliveTimeout = 65_000;
    s.headersTimeout = 70_000;
  }
  const hubHost = options.host ?? "127.0.0.1";
  const cdnHost = options.cdnHost ?? "127.0.0.2";
  const hubPort = await listen(hubServer, hubHost, options.port ?? 0);
  const cdnPort = await listen(cdnServer, cdnHost, 0);
  const scheme = options.tls ? "https" : "http";
  ctx.hubUrl = `${scheme}://${urlHost(hubHost)}:${hubPort}`;
  ctx.cdnUrl = `${scheme}://${urlHost(cdnHost)}:${cdnPort}`;

  return {
    url: ctx.hubUrl,
    cdnUrl: ctx.cdnUrl,
    ctx,
    setFault(name, on) {
      if (on) ctx.faults.add(name);
      else ctx.faults.delete(name);
    },
    setHostile(mode, on) {
      if (on) ctx.hostile.add(mode);
      else ctx.hostile.delete(mode);
    },
    resetLog() {
      ctx.log.length = 0;
      resetCounters();
    },
    async close() {
      await Promise.all([closeServer(hubServer), closeServer(cdnServer)]);
      if (ownsDataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The shared state every route sees; `hubUrl`/`cdnUrl` are filled in once the origins listen. */
export function createHubContext(input: { repos: HubContext["repos"]; xet: XetStore; options: HubOptions }): { ctx: HubContext; resetCounters(): void } {
  const { options } = input;
  const counters = new Map<string, number>();
  const slow = { ...WAN_PROFILE, ...options.slow };
  const ctx: HubContext = {
    repos: input.repos,
    xet: input.xet,
    options: {
      gatedAccess: options.gatedAccess ?? [],
      gatedPending: options.gatedPending ?? [],
      urlTtlSeconds: options.urlTtlSeconds ?? 3600,
      xetTokenTtlSeconds: options.xetTokenTtlSeconds ?? 3600,
      retryAfterSeconds: options.retryAfterSeconds ?? 1,
      stallAfterBytes: options.stallAfterBytes ?? 64 * 1024,
      treePageSize: options.treePageSize ?? 50,
      tokens: options.tokens,
      strictCas: options.strictCas ?? false,
      mirrorOf: options.mirrorOf?.replace(/\/+$/, ""),
    },
    formerIds: formerIdMap(input.repos),
    faults: new Set(options.faults ?? []),
    rateLimits: new RateLimiter(options.rateLimit),
    hostile: new Set(options.hostile ?? []),
    slow,
    hubUrl: "",
    cdnUrl: "",
    log: [],
    firstTime(fault, key) {
      const k = `${fault}\0${key}`;
      const n = counters.get(k) ?? 0;
      counters.set(k, n + 1);
      return n === 0;
    },
    secret: randomBytes(32).toString("hex"),
    grantedRepos: new Set(),
    pendingRepos: new Set(),
    pacer: new Pacer(slow.totalBytesPerSecond),
    bodiesInFlight: 0,
  };
  return {
    ctx,
    resetCounters: () => {
      counters.clear();
      ctx.rateLimits.reset();
    },
  };
}

export function isFaultName(name: string): name is FaultName {
  return (FAULTS as readonly string[]).includes(name);
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", (err) => reject(new Error(`cannot listen on ${host}:${port}: ${err.message}`)));
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

/** An IPv6 literal goes in brackets inside a URL. */
function urlHost(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Routes one request, answers 404 for unknown paths and records it in the request log. */
export async function dispatch(ctx: HubContext, origin: Origin, routes: Route[], req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", origin === "hub" ? ctx.hubUrl : ctx.cdnUrl);
  const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? "")?.[1];
  const start = req.socket.bytesWritten;
  const method = req.method ?? "GET";
  let route: Route | undefined = origin === "hub" && movedLocation(ctx, url) ? renamedRoute : undefined;
  let params: string[] = [];
  for (const candidate of route ? [] : routes) {
    const methods = Array.isArray(candidate.method) ? candidate.method : [candidate.method];
    const match = candidate.pattern.exec(url.pathname);
    if (match && methods.includes(method)) {
      route = candidate;
      params = match.slice(1).map((p) => (p === undefined ? p : decodeURIComponent(p)));
      break;
    }
  }
  const r: HubReq = { ctx, req, res, url, params, bearer };
  res.on("close", () => {
    ctx.log.push({
      origin,
      method,
      path: url.pathname + url.search,
      route: r.logRoute ?? route?.name ?? "unmatched",
      status: res.statusCode,
      bytes: req.socket.bytesWritten - start,
      auth: classifyAuth(req.headers.authorization),
      range: req.headers.range,
    });
  });
  if (!route) {
    hubError(res, 404, `No route for ${method} ${url.pathname}`, "EntryNotFound");
    return;
  }
  try {
    await route.handle(r);
  } catch (err) {
    if (!res.headersSent) hubError(res, 500, `Internal error: ${(err as Error).message}`);
    else res.destroy();
  }
}

function classifyAuth(header: string | undefined): "none" | "hub-token" | "xet-token" | "other" {
  if (!header) return "none";
  if (/^Bearer hf_/i.test(header)) return "hub-token";
  if (/^Bearer xet_/i.test(header)) return "xet-token";
  return "other";
}
