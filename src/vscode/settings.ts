// The extension's settings (`hfModels.*`) read in one place and turned into download options.
// Setting names are constants here; nothing else calls getConfiguration for our section.
import { homedir } from "node:os";
import * as vscode from "vscode";
import { resolveEndpoint } from "../core/hub/endpoint";
import { resolveModelsDir } from "../core/layout";
import { megabytesPerSecond } from "../core/net/bandwidth";

export const SECTION = "hfModels";

export const Setting = {
  useXet: "useXet",
  storage: "storage",
  makeAvailableToPython: "makeAvailableToPython",
  fallbackToLfs: "fallbackToLfs",
  modelsDirectory: "modelsDirectory",
  endpoint: "endpoint",
  concurrency: "concurrency",
  maxDownloadSpeed: "maxDownloadSpeed",
  caFile: "caFile",
} as const;
export type SettingName = (typeof Setting)[keyof typeof Setting];

/** The value the code falls back to when a setting is unset or unreadable (package.json declares the same defaults). */
export const SettingDefault = {
  useXet: false,
  storage: "folder",
  makeAvailableToPython: false,
  fallbackToLfs: true,
  modelsDirectory: "",
  endpoint: "",
  concurrency: 4,
  maxDownloadSpeed: null,
  caFile: "",
} as const satisfies Record<SettingName, unknown>;

export interface ExtensionSettings {
  useXet: boolean;
  /** `folder` (default) or `hfCache`, the standard Hugging Face cache. */
  storage: "folder" | "hfCache";
  /** Folder storage: after each download, hard-link the model into the Hugging Face cache too. */
  makeAvailableToPython: boolean;
  fallbackToLfs: boolean;
  /**
   * Absolute folder; the default models folder (`$HF_MODELS_DIR`, else `~/hf-models`) when the setting is empty.
   * The setting is `resource`-scoped: a `machine(-overridable)` value in the user settings file is dropped by VS Code
   * in a remote window (code-server) once the schema is known, i.e. after any settings change (issue 13, M1).
   */
  modelsDir: string;
  /** The raw setting; empty means `HF_ENDPOINT` or the public Hub (resolved by `endpointFrom`). */
  endpointSetting: string;
  concurrency: number;
}

/** `scope` picks the folder whose settings win for `resource`-scoped settings (default: the first folder). */
export function readSettings(scope?: vscode.ConfigurationScope): ExtensionSettings {
  const cfg = vscode.workspace.getConfiguration(SECTION, scope ?? vscode.workspace.workspaceFolders?.[0]?.uri);
  const concurrency = Number(cfg.get<number>(Setting.concurrency, SettingDefault.concurrency));
  return {
    useXet: cfg.get<boolean>(Setting.useXet, SettingDefault.useXet) === true,
    storage: cfg.get<string>(Setting.storage, SettingDefault.storage) === "hfCache" ? "hfCache" : "folder",
    makeAvailableToPython: cfg.get<boolean>(Setting.makeAvailableToPython, SettingDefault.makeAvailableToPython) === true,
    fallbackToLfs: cfg.get<boolean>(Setting.fallbackToLfs, SettingDefault.fallbackToLfs) !== false,
    modelsDir: modelsDirFrom(cfg.get<string>(Setting.modelsDirectory, SettingDefault.modelsDirectory)),
    endpointSetting: (cfg.get<string>(Setting.endpoint, SettingDefault.endpoint) ?? "").trim(),
    concurrency: Number.isFinite(concurrency) && concurrency >= 1 ? Math.min(Math.floor(concurrency), 32) : SettingDefault.concurrency,
  };
}

/** `hfModels.maxDownloadSpeed` in bytes per second; 0 when there is no cap. */
export function maxBytesPerSecond(): number {
  return megabytesPerSecond(vscode.workspace.getConfiguration(SECTION).get<number | null>(Setting.maxDownloadSpeed, SettingDefault.maxDownloadSpeed));
}

/** The setting, else the default models folder (core/layout); a relative setting is taken from the home folder. */
export function modelsDirFrom(setting: string | undefined): string {
  return resolveModelsDir({ configured: setting, env: process.env, base: homedir() });
}

/** The Hub URL to use; throws a DownloadError naming the setting when it is not a usable URL. */
export function endpointFrom(settings: ExtensionSettings): string {
  return resolveEndpoint(settings.endpointSetting || undefined);
}

export function affects(event: vscode.ConfigurationChangeEvent, ...names: SettingName[]): boolean {
  return names.some((n) => event.affectsConfiguration(`${SECTION}.${n}`));
}
