// A bare cdn origin for the Xet tests: a hand-built HubContext around a XetStore, serving only casRoutes,
// so the CAS can be tested without repos, git or the hub origin. Mirrors server.ts's dispatch and request log.
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Pacer, WAN_PROFILE, hubError, type FaultName, type HubContext, type HubReq } from "../context";
import { issueXetToken } from "../tokens";
import { casRoutes } from "./routes";
import type { XetStore } from "./store";

export interface TestCas {
  url: string;
  ctx: HubContext;
  /** A valid Xet read token (repo `test/xet`). */
  token(ttlSeconds?: number): string;
  setFault(name: FaultName, on: boolean): void;
  /** Forget the request log, the fault switches and the per-key fault counters. */
  reset(): void;
  close(): Promise<void>;
}

export async function startTestCas(opts: {
  store: XetStore;
  urlTtlSeconds?: number;
  retryAfterSeconds?: number;
  stallAfterBytes?: number;
}): Promise<TestCas> {
  const counters = new Map<string, number>();
  const ctx: HubContext = {
    repos: new Map(),
    xet: opts.store,
    options: {
      gatedAccess: [],
      urlTtlSeconds: opts.urlTtlSeconds ?? 3600,
      xetTokenTtlSeconds: 3600,
      retryAfterSeconds: opts.retryAfterSeconds ?? 1,
      stallAfterBytes: opts.stallAfterBytes ?? 64 * 1024,
      treePageSize: 50,
    },
    faults: new Set(),
    slow: WAN_PROFILE,
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
    pacer: new Pacer(WAN_PROFILE.totalBytesPerSecond),
  };
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", ctx.cdnUrl);
    const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? "")?.[1];
    const start = req.socket.bytesWritten;
    const route = casRoutes.find((c) => c.pattern.test(url.pathname) && c.method === req.method);
    const params = route ? route.pattern.exec(url.pathname)!.slice(1).map(decodeURIComponent) : [];
    const r: HubReq = { ctx, req, res, url, params, bearer };
    res.on("close", () =>
      ctx.log.push({
        origin: "cdn",
        method: req.method ?? "GET",
        path: url.pathname + url.search,
        route: r.logRoute ?? route?.name ?? "unmatched",
        status: res.statusCode,
        bytes: req.socket.bytesWritten - start,
        auth: bearer ? "xet-token" : "none",
        range: req.headers.range,
      }),
    );
    if (!route) return hubError(res, 404, `No route for ${req.method} ${url.pathname}`);
    try {
      await route.handle(r);
    } catch (err) {
      if (!res.headersSent) hubError(res, 500, `Internal error: ${(err as Error).message}`);
      else res.destroy();
    }
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  ctx.cdnUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: ctx.cdnUrl,
    ctx,
    token: (ttl = 3600) => issueXetToken(ctx.secret, { repo: "test/xet", commit: "0".repeat(40), exp: Math.floor(Date.now() / 1000) + ttl }),
    setFault(name, on) {
      if (on) ctx.faults.add(name);
      else ctx.faults.delete(name);
    },
    reset() {
      ctx.log.length = 0;
      ctx.faults.clear();
      counters.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
