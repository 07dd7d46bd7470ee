// VS Code's network settings (http.proxy, http.noProxy, http.proxyStrictSSL, http.proxyAuthorization,
// http.systemCertificates) and our hfModels.caFile mapped onto core's NetworkOptions, so the workers and git get
// what the extension host's fetch gets.
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";
import * as vscode from "vscode";
import { configureNetwork, networkFromEnv, type NetworkOptions } from "../core/net/proxy";
import { systemCaBundle } from "../core/net/systemCa";
import { SECTION, Setting } from "./settings";

/** VS Code's own rule: `http.proxy` when set, else the environment's HTTPS_PROXY / HTTP_PROXY / NO_PROXY. */
export function networkFromSettings(env: NodeJS.ProcessEnv = process.env): NetworkOptions {
  const http = vscode.workspace.getConfiguration("http");
  const fromEnv = networkFromEnv(env);
  const proxy = (http.get<string>("proxy") ?? "").trim();
  const noProxy = (http.get<string[]>("noProxy") ?? []).filter((s) => typeof s === "string" && s.trim() !== "");
  const auth = http.get<string | null>("proxyAuthorization");
  const caSetting = (vscode.workspace.getConfiguration(SECTION).get<string>(Setting.caFile, "") ?? "").trim();
  const caFile = caSetting ? (isAbsolute(caSetting) ? caSetting : join(homedir(), caSetting)) : undefined;
  const systemCa = http.get<boolean>("systemCertificates", true) ? systemCaBundle(env) : undefined;
  return {
    httpsProxy: proxy || fromEnv.httpsProxy,
    httpProxy: proxy || fromEnv.httpProxy,
    noProxy: noProxy.length > 0 ? noProxy.join(",") : fromEnv.noProxy,
    ...(auth ? { proxyAuthorization: auth } : {}),
    ...(http.get<boolean>("proxyStrictSSL", true) === false ? { strictSSL: false } : {}),
    ...(systemCa ? { systemCaFile: systemCa } : {}),
    // The setting's CA is trusted explicitly; NODE_EXTRA_CA_CERTS (if VS Code was started with it) already is.
    ...(caFile ? { caFile } : fromEnv.caFile ? { caFile: fromEnv.caFile, caTrustedByNode: true } : {}),
  };
}

/** Applies the settings now and whenever one of them changes. */
export function applyNetworkSettings(): vscode.Disposable {
  configureNetwork(networkFromSettings());
  return vscode.workspace.onDidChangeConfiguration((e) => {
    if (["http.proxy", "http.noProxy", "http.proxyStrictSSL", "http.proxyAuthorization", "http.systemCertificates", `${SECTION}.${Setting.caFile}`].some((k) => e.affectsConfiguration(k))) {
      configureNetwork(networkFromSettings());
    }
  });
}
