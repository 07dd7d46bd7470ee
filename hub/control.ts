// A read-only control route on the hub origin for tools in another process (the benchmark): the request log
// from a given index, and the hub process's own CPU time, so a client's traffic can be measured from outside.
import { sendJson, type Route } from "./context";

export const controlRoutes: Route[] = [
  {
    name: "control-log",
    method: "GET",
    pattern: /^\/__control\/log$/,
    handle(r) {
      const since = Math.max(0, Number(r.url.searchParams.get("since") ?? 0) || 0);
      const cpu = process.cpuUsage();
      sendJson(r.res, 200, { next: r.ctx.log.length, entries: r.ctx.log.slice(since), cpuMicros: cpu.user + cpu.system });
    },
  },
];
