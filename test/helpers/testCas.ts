// A bare cdn origin for the Xet tests: a hand-built HubContext around a XetStore, serving only casRoutes,
// so the CAS can be tested without repos, git or the hub origin; context and dispatch are server.ts's own.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { FaultName, HubContext } from "../../hub/context";
import { createHubContext, dispatch } from "../../hub/server";
import { issueXetToken } from "../../hub/tokens";
import { casRoutes } from "../../hub/xet/routes";
import type { XetStore } from "../../hub/xet/store";

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
  const { ctx, resetCounters } = createHubContext({
    repos: new Map(),
    xet: opts.store,
    options: { urlTtlSeconds: opts.urlTtlSeconds, retryAfterSeconds: opts.retryAfterSeconds, stallAfterBytes: opts.stallAfterBytes },
  });
  const server = createServer((req, res) => dispatch(ctx, "cdn", casRoutes, req, res));
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
      resetCounters();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
