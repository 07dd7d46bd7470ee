// The tests' own network: a namespace holding the local Hub's two origins on private addresses (10.201.N.1/.2,
// not loopback, so git-lfs too uses a proxy for them) and a forward proxy on the veth end 10.200.N.2. The host
// reaches the Hub only by a route through the namespace, where the Hub's refusal mode closes any connection
// that does not come from the proxy. Needs root and `ip`; every address here is one the test created.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { makeTestCa } from "./testCa";

const ROOT = resolve(__dirname, "..", "..");

export interface TestNet {
  ns: string;
  proxyAddr: string;
  hubAddr: string;
  cdnAddr: string;
  /** Starts `node …args` inside the namespace; resolves once it printed a line matching `ready`. */
  start(args: string[], ready: RegExp): Promise<{ child: ChildProcess; match: RegExpMatchArray; output(): string }>;
  close(): void;
}

export function netnsAvailable(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync("ip", ["netns", "list"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** `root`: the repository (cwd of the started processes); the extension-host suite runs from a bundle elsewhere. */
export function createTestNet(root = ROOT): TestNet {
  const n = 100 + (process.pid % 100);
  const ns = `hfm-test-${process.pid}`;
  const vh = `hfmh${process.pid}`.slice(0, 15);
  const vn = `hfmn${process.pid}`.slice(0, 15);
  const ip = (...args: string[]) => execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
  const inNs = (...args: string[]) => ip("netns", "exec", ns, "ip", ...args);
  const children: ChildProcess[] = [];
  const close = () => {
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
    try { ip("link", "del", vh); } catch { /* gone with the namespace */ }
    try { ip("netns", "del", ns); } catch { /* never made */ }
  };
  try {
    ip("netns", "add", ns);
    ip("link", "add", vh, "type", "veth", "peer", "name", vn);
    ip("link", "set", vn, "netns", ns);
    ip("addr", "add", `10.200.${n}.1/30`, "dev", vh);
    ip("link", "set", vh, "up");
    inNs("link", "set", "lo", "up");
    inNs("addr", "add", `10.200.${n}.2/30`, "dev", vn);
    inNs("link", "set", vn, "up");
    inNs("addr", "add", `10.201.${n}.1/32`, "dev", "lo");
    inNs("addr", "add", `10.201.${n}.2/32`, "dev", "lo");
    // A client that goes around the proxy still reaches the Hub (and is refused there), rather than a host we did not create.
    ip("route", "add", `10.201.${n}.0/24`, "via", `10.200.${n}.2`, "dev", vh);
  } catch (err) {
    close();
    throw err;
  }
  return {
    ns,
    proxyAddr: `10.200.${n}.2`,
    hubAddr: `10.201.${n}.1`,
    cdnAddr: `10.201.${n}.2`,
    start(args, ready) {
      const child = spawn("ip", ["netns", "exec", ns, process.execPath, ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
      children.push(child);
      let out = "";
      return new Promise((res, rej) => {
        const onData = (d: Buffer) => {
          out += d;
          const m = ready.exec(out);
          if (m) res({ child, match: m, output: () => out });
        };
        child.stdout!.on("data", onData);
        child.stderr!.on("data", onData);
        child.on("exit", (code) => rej(new Error(`${args.join(" ")} exited (${code}): ${out}`)));
        setTimeout(() => rej(new Error(`${args.join(" ")} did not start: ${out}`)), 60_000).unref();
      });
    },
    close,
  };
}

export const PROXY_SCRIPT = join(ROOT, "test", "helpers", "proxyServer.mjs");
export const HUB_CLI = join(ROOT, "hub", "cli.ts");

export interface ProxyTestbed {
  net: TestNet;
  /** The private CA that signed both origins' certificate. */
  caFile: string;
  caDir: string;
  hubUrl: string;
  /** [0] without auth, [1] with basic auth (user:password in the URL); `log()` is its access log so far. */
  proxies: Array<{ url: string; log: () => string }>;
  close(): void;
}

/** The Hub over HTTPS (private CA) in its own namespace, refusing all but the proxy, and two proxies in front. */
export async function startProxyTestbed(demoDir: string, root = ROOT): Promise<ProxyTestbed> {
  const net = createTestNet(root);
  try {
    const ca = await makeTestCa({ ips: [net.hubAddr, net.cdnAddr] });
    await writeFile(join(ca.dir, "leaf.key"), ca.key);
    await writeFile(join(ca.dir, "leaf.pem"), ca.cert);
    const hub = await net.start(
      ["--import", "tsx", join(root, "hub", "cli.ts"), "--host", net.hubAddr, "--cdn-host", net.cdnAddr, "--demo-dir", demoDir,
        "--tls-key", join(ca.dir, "leaf.key"), "--tls-cert", join(ca.dir, "leaf.pem"),
        "--accept-from", net.hubAddr, "--accept-from", net.cdnAddr],
      /listening on (\S+)/,
    );
    const proxies: ProxyTestbed["proxies"] = [];
    for (const auth of ["", "proxyuser:pr0xy p@ss"]) {
      const p = await net.start([join(root, "test", "helpers", "proxyServer.mjs"), net.proxyAddr, "0", auth], /listening (\d+)/);
      const [user, pass] = auth.split(":");
      const cred = auth ? `${encodeURIComponent(user!)}:${encodeURIComponent(pass!)}@` : "";
      proxies.push({ url: `http://${cred}${net.proxyAddr}:${p.match[1]}`, log: p.output });
    }
    return {
      net, caFile: ca.caFile, caDir: ca.dir, hubUrl: hub.match[1]!, proxies,
      close: () => {
        net.close();
        void rm(ca.dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    net.close();
    throw err;
  }
}
