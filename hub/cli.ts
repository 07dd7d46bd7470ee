// `npm run hub -- --port <n> --repo <org/name>=<folder> [--repo …] [--fault <name>] …`
// Serves folders (or the built-in demo repos) as a local Hugging Face Hub until stopped.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { FAULTS } from "./context";
import { demoRepos } from "./demo";
import { HOSTILE_MODES, isHostileMode } from "./hostile";
import type { RepoSource } from "./model";
import type { RateLimitOptions } from "./rateLimit";
import { isFaultName, startHub } from "./server";

const USAGE = `Usage: npm run hub -- [--port N] [--repo org/name=FOLDER]… [--fault NAME]… [options]

  --port N              port of the Hub origin (0 = any free port; default 0)
  --host ADDR           address of the Hub origin (default 127.0.0.1)
  --cdn-host ADDR       address of the CDN/CAS origin, a different host name from the Hub's as on
                        huggingface.co (default 127.0.0.2; any 127.x.y.z is loopback on Linux)
  --repo ID=FOLDER      serve FOLDER as repo ID (repeatable); without it, the demo repos are served
  --private ID          mark a served repo private (401 without a token)
  --gated ID            mark a served repo gated, approval "auto" (model info and tree public; files 401
                        without a token, 403 unless the token is granted with --grant)
  --gated-manual ID     mark a served repo gated, approval "manual" (see --pending)
  --rename OLD=NEW      serve repo NEW also under its former id OLD (an org/name, or a legacy name without
                        a namespace such as gpt2): requests naming OLD get a 307 to NEW (repeatable)
  --token TOKEN         accept only this token (repeatable; default: any token starting with hf_)
  --grant TOKEN         grant TOKEN access to gated repos (repeatable)
  --pending TOKEN       TOKEN asked for access to the manual gated repos; its request awaits review (repeatable)
  --fault NAME          switch a fault on (repeatable): ${FAULTS.join(", ")}
  --hostile NAME        answer like a broken or malicious Hub (repeatable): ${HOSTILE_MODES.join(", ")}
  --latency-ms N        slow fault: latency per CDN response (default 40)
  --conn-mbps N         slow fault: cap per connection in MB/s (default 25)
  --total-mbps N        slow fault: total cap in MB/s (default 200)
  --url-ttl N           lifetime of signed CDN URLs in seconds (default 3600)
  --strict-cas          every signed xorb URL is valid for exactly its one byte range (403 for any other)
  --mirror-of ORIGIN    act as a mirror of ORIGIN: the xet-auth link names it (e.g. https://huggingface.co)
  --not-in-xet ID=PATH  LFS file PATH of repo ID is not migrated to Xet yet (no xetHash; "*" = every LFS file)
  --rate-limit SPEC     "off", or quotas per 5-minute window for every client, e.g. api=100,resolvers=500,window=60
                        (default: huggingface.co's, anonymous api 500 / resolvers 3000 per IP, 1000 / 5000 per token)
  --tls-key FILE, --tls-cert FILE
                        serve both origins over HTTPS with this key and certificate (PEM)
  --accept-from ADDR    refusal mode: accept connections only from ADDR (a proxy's source address; repeatable)
  --data-dir DIR        keep git repos and xorbs here (default: a temporary folder)
  --demo-dir DIR        where demo content is generated (default: .hub-data/demo)
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "0" },
      host: { type: "string" },
      "cdn-host": { type: "string" },
      repo: { type: "string", multiple: true, default: [] },
      private: { type: "string", multiple: true, default: [] },
      gated: { type: "string", multiple: true, default: [] },
      "gated-manual": { type: "string", multiple: true, default: [] },
      rename: { type: "string", multiple: true, default: [] },
      pending: { type: "string", multiple: true, default: [] },
      token: { type: "string", multiple: true },
      grant: { type: "string", multiple: true, default: [] },
      fault: { type: "string", multiple: true, default: [] },
      hostile: { type: "string", multiple: true, default: [] },
      "latency-ms": { type: "string" },
      "conn-mbps": { type: "string" },
      "total-mbps": { type: "string" },
      "url-ttl": { type: "string" },
      "strict-cas": { type: "boolean", default: false },
      "mirror-of": { type: "string" },
      "not-in-xet": { type: "string", multiple: true, default: [] },
      "rate-limit": { type: "string" },
      "data-dir": { type: "string" },
      "tls-key": { type: "string" },
      "tls-cert": { type: "string" },
      "accept-from": { type: "string", multiple: true },
      "demo-dir": { type: "string", default: ".hub-data/demo" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  for (const fault of values.fault) if (!isFaultName(fault)) fail(`unknown fault "${fault}"; known: ${FAULTS.join(", ")}`);
  for (const mode of values.hostile) if (!isHostileMode(mode)) fail(`unknown hostile mode "${mode}"; known: ${HOSTILE_MODES.join(", ")}`);
  let repos: RepoSource[];
  if (values.repo.length > 0) {
    repos = values.repo.map((spec) => {
      const eq = spec.indexOf("=");
      if (eq <= 0) fail(`--repo takes ID=FOLDER, got "${spec}"`);
      const id = spec.slice(0, eq);
      return { id, revisions: [{ dir: resolve(spec.slice(eq + 1)), message: `Upload ${id}` }] };
    });
  } else {
    repos = await demoRepos(resolve(values["demo-dir"]));
  }
  for (const repo of repos) {
    if (values.private.includes(repo.id)) repo.private = true;
    if (values.gated.includes(repo.id)) repo.gated = "auto";
    if (values["gated-manual"].includes(repo.id)) repo.gated = "manual";
    for (const spec of values["not-in-xet"]) {
      const eq = spec.indexOf("=");
      if (eq <= 0) fail(`--not-in-xet takes ID=PATH, got "${spec}"`);
      if (spec.slice(0, eq) === repo.id) (repo.notInXet ??= []).push(spec.slice(eq + 1));
    }
  }
  for (const spec of values.rename) {
    const eq = spec.indexOf("=");
    const target = repos.find((r) => r.id === spec.slice(eq + 1));
    if (eq <= 0 || !target) fail(`--rename takes OLD=NEW with NEW a served repo, got "${spec}"`);
    target.renamedFrom = [...(target.renamedFrom ?? []), spec.slice(0, eq)];
  }
  const mbps = (v: string | undefined) => (v === undefined ? undefined : Number(v) * 1_000_000);
  const hub = await startHub({
    repos,
    port: Number(values.port),
    host: values.host,
    cdnHost: values["cdn-host"],
    faults: values.fault.filter(isFaultName),
    hostile: values.hostile.filter(isHostileMode),
    tokens: values.token,
    gatedAccess: values.grant,
    gatedPending: values.pending,
    urlTtlSeconds: values["url-ttl"] ? Number(values["url-ttl"]) : undefined,
    strictCas: values["strict-cas"],
    mirrorOf: values["mirror-of"],
    rateLimit: values["rate-limit"] === undefined ? undefined : parseRateLimitSpec(values["rate-limit"]),
    dataDir: values["data-dir"] ? resolve(values["data-dir"]) : undefined,
    tls: values["tls-key"] && values["tls-cert"] ? { key: readFileSync(values["tls-key"], "utf8"), cert: readFileSync(values["tls-cert"], "utf8") } : undefined,
    acceptFrom: values["accept-from"],
    slow: {
      ...(values["latency-ms"] ? { latencyMs: Number(values["latency-ms"]) } : {}),
      ...(values["conn-mbps"] ? { perConnectionBytesPerSecond: mbps(values["conn-mbps"]) } : {}),
      ...(values["total-mbps"] ? { totalBytesPerSecond: mbps(values["total-mbps"]) } : {}),
    },
  });
  process.stdout.write(`listening on ${hub.url}\n`);
  process.stderr.write(`CDN/CAS origin on ${hub.cdnUrl}; repos: ${repos.map((r) => r.id).join(", ")}\n`);
  const stop = () => void hub.close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

function fail(message: string): never {
  process.stderr.write(`hub: ${message}\n\n${USAGE}`);
  process.exit(2);
}

main().catch((err) => {
  process.stderr.write(`hub: ${(err as Error).message}\n`);
  process.exit(1);
});

/** `off`, or `api=N,resolvers=N,window=S`: the same quotas with and without a token. */
function parseRateLimitSpec(spec: string): RateLimitOptions | false {
  if (spec === "off") return false;
  const quotas: Partial<Record<"api" | "resolvers", number>> = {};
  let windowSeconds: number | undefined;
  for (const part of spec.split(",")) {
    const [key, value] = part.split("=");
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) fail(`--rate-limit: ${JSON.stringify(part)} needs a positive whole number`);
    if (key === "api" || key === "resolvers") quotas[key] = n;
    else if (key === "window") windowSeconds = n;
    else fail(`--rate-limit: unknown key ${JSON.stringify(key)}; use api, resolvers, window or "off"`);
  }
  return { windowSeconds, anonymous: quotas, token: quotas };
}
