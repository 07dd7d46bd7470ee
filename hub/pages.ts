// The Hub's web pages, as much as a person trying the sandbox meets: the front page listing the models, a model
// page (what Open Model Page shows), and a gated repo's "agree and access" form, which grants the demo user
// access as accepting the terms on huggingface.co does (at once for "auto", a pending review for "manual").
import type { ServerResponse } from "node:http";
import { readBody, type HubReq, type Route } from "./context";
import { resolveRevision, type HubRepo } from "./model";
import { DEMO_USER } from "./api";

const REPO = "([^/]+/[^/]+)";

export const pageRoutes: Route[] = [
  { name: "page-home", method: "GET", pattern: /^\/$/, handle: home },
  { name: "page-model", method: "GET", pattern: new RegExp(`^/${REPO}/?$`), handle: modelPage },
  { name: "page-ask-access", method: "POST", pattern: new RegExp(`^/${REPO}/ask-access$`), handle: askAccess },
];

function home(r: HubReq): void {
  const items = [...r.ctx.repos.values()].filter((repo) => !repo.private).map((repo) => `<li><a href="/${repo.id}">${esc(repo.id)}</a>${repo.gated ? " (gated)" : ""}</li>`);
  html(r.res, 200, "Local Hub", `<h1>Models</h1><ul>${items.join("")}</ul>`);
}

function modelPage(r: HubReq): void {
  const repo = r.ctx.repos.get(r.params[0]!);
  // A private repo's page is not shown to a browser that is not signed in (this one never is), as on the Hub.
  if (!repo || repo.private) return html(r.res, 404, "404", "<h1>404</h1><p>Sorry, we can't find the page you are looking for.</p>");
  const head = resolveRevision(repo, "main")!;
  const files = [...head.files.values()].map((f) => `<li><code>${esc(f.path)}</code> ${f.size} bytes</li>`).join("");
  html(r.res, 200, repo.id, `<h1>${esc(repo.id)}</h1>${gateSection(r, repo)}<h2>Files (main @ ${head.sha.slice(0, 7)})</h2><ul>${files}</ul>`);
}

function gateSection(r: HubReq, repo: HubRepo): string {
  if (!repo.gated) return "";
  if (r.ctx.grantedRepos.has(repo.id)) return `<p class="granted">Gated model: you have been granted access to this model (${DEMO_USER}).</p>`;
  if (repo.gated === "manual" && r.ctx.pendingRepos.has(repo.id)) return `<p class="pending">Your request to access this model is awaiting a review from the repo authors.</p>`;
  return (
    `<p>You need to agree to share your contact information to access this model.</p>` +
    `<form method="POST" action="/${repo.id}/ask-access"><button type="submit">Agree and access repository</button></form>`
  );
}

async function askAccess(r: HubReq): Promise<void> {
  await readBody(r.req);
  const repo = r.ctx.repos.get(r.params[0]!);
  if (!repo || repo.private || !repo.gated) return html(r.res, 404, "404", "<h1>404</h1>");
  if (repo.gated === "auto") r.ctx.grantedRepos.add(repo.id);
  else r.ctx.pendingRepos.add(repo.id);
  r.res.writeHead(303, { Location: `/${repo.id}` });
  r.res.end();
}

function html(res: ServerResponse, status: number, title: string, body: string): void {
  res.writeHead(status, { "Content-Type": "text/html; charset=utf-8" });
  res.end(`<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title></head><body>${body}</body></html>`);
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
