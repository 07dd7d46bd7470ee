// A GET through node:http(s) with the process's proxy and CA settings, for bulk bytes in the main thread: a
// Readable of Buffers costs far less CPU per byte than fetch's web streams (the LFS range requests spent about
// twice the raw limit's CPU through fetch).
import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import { createNodeAgents, currentNetwork } from "./proxy";

let agents: { key: string; agentFor: (url: URL) => http.Agent } | undefined;

/** Resolves with the response (any status) once its headers are in; `signal` aborts the request and its body. */
export function nodeGet(url: string, headers: Record<string, string>, signal: AbortSignal): Promise<IncomingMessage> {
  const network = currentNetwork();
  const key = JSON.stringify(network);
  // Changed proxy or CA settings get new agents; requests already running keep theirs.
  if (agents?.key !== key) agents = { key, agentFor: createNodeAgents(network) };
  const target = new URL(url);
  const lib = target.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.get(target, { agent: agents!.agentFor(target), headers, signal }, resolve);
    req.on("error", reject);
  });
}
