// The environment every git / git-lfs child runs with: the Hub token only as a config variable scoped
// to the Hub origin, no prompts, English messages, and nothing inherited that could redirect git elsewhere.
import { applyGitNetworkEnv, currentNetwork } from "../net/proxy";

export interface GitEnvOptions {
  /** Hub base URL without a trailing slash. */
  endpoint: string;
  token?: string;
  /** The environment to start from. Default `process.env`. */
  baseEnv?: NodeJS.ProcessEnv;
  /**
   * Let checkouts run git-lfs' smudge filter (file contents instead of pointers), with the filter configured
   * here so neither a missing `git lfs install` nor a user's `--skip-smudge` setup turns it off. Default false.
   */
  smudge?: boolean;
  /** Git never looks for a repository in or above this folder (the real path of the model folder's parent). */
  ceilingDir?: string;
  /** The repo id (`org/name`): lets the transfer override below also beat a user's setting for that repo's LFS URL. */
  repo?: string;
}

/**
 * Inherited variables that would point git at another repository, run editors, pagers, prompts or ssh
 * programs, or inject config. We need none of them and they could make git act on the wrong folder.
 */
const DROP = new Set([
  "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES",
  "GIT_COMMON_DIR", "GIT_NAMESPACE", "GIT_PREFIX", "GIT_CEILING_DIRECTORIES", "GIT_DISCOVERY_ACROSS_FILESYSTEM",
  "GIT_ASKPASS", "SSH_ASKPASS", "GIT_EDITOR", "GIT_SEQUENCE_EDITOR", "EDITOR", "VISUAL", "GIT_PAGER", "PAGER",
  "GIT_EXTERNAL_DIFF", "GIT_SSH", "GIT_SSH_COMMAND", "GIT_PROXY_COMMAND", "GIT_TEMPLATE_DIR", "GIT_CONFIG",
  "GIT_CONFIG_PARAMETERS", "GIT_LFS_PROGRESS", "GIT_TRACE", "GIT_CURL_VERBOSE", "GIT_TRACE_CURL", "GIT_TRACE_PACKET",
]);

/** The `http.<url>.extraHeader` key: scoped to the Hub so git-lfs never sends the token to the CDN hosts. */
export function tokenConfigKey(endpoint: string): string {
  return `http.${endpoint.replace(/\/+$/, "")}/.extraHeader`;
}

/** What `git lfs install` writes, as git clone + git-lfs use it. */
const LFS_FILTER: Array<[string, string]> = [
  ["filter.lfs.process", "git-lfs filter-process"],
  ["filter.lfs.smudge", "git-lfs smudge -- %f"],
  ["filter.lfs.clean", "git-lfs clean -- %f"],
  ["filter.lfs.required", "true"],
];

/**
 * Keeps a user's own LFS transfer agents (`git xet install` writes `lfs.customtransfer.xet.*` to ~/.gitconfig) out
 * of our runs: git-lfs offers the Hub only the basic transfer, so the Hub never picks "xet", and no standalone agent
 * (plain or for the Hub's URLs, which git-lfs prefers) replaces the batch API. The rest of the user's config
 * (proxies, CA bundles) still applies. Command-line config is read last, so on equally specific keys it wins.
 */
export function transferOverrides(endpoint: string, repo?: string): Array<[string, string]> {
  const base = endpoint.replace(/\/+$/, "");
  return [
    ["lfs.basictransfersonly", "true"],
    ["lfs.standalonetransferagent", ""],
    [`lfs.${base}/.standalonetransferagent`, ""],
    ...(repo ? ([[`lfs.${base}/${repo}.git/info/lfs.standalonetransferagent`, ""]] as Array<[string, string]>) : []),
  ];
}

export function gitEnv({ endpoint, token, baseEnv = process.env, smudge = false, ceilingDir, repo }: GitEnvOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(baseEnv)) {
    const upper = key.toUpperCase();
    // Tracing would print the Authorization header; inherited GIT_CONFIG_* would clash with ours.
    if (DROP.has(upper) || /^GIT_CONFIG_(COUNT|KEY_\d+|VALUE_\d+)$/.test(upper) || upper.startsWith("GIT_TRACE")) continue;
    // Set below for every command but the smudging checkout.
    if (upper === "GIT_LFS_SKIP_SMUDGE") continue;
    env[key] = value;
  }
  const config: Array<[string, string]> = [
    // Verification compares working-tree bytes with git blob ids; a global autocrlf would rewrite them.
    ["core.autocrlf", "false"],
  ];
  if (token) {
    config.push([tokenConfigKey(endpoint), `Authorization: Bearer ${token}`]);
    // git keeps sending extra headers to wherever a redirect of info/refs moved the remote, even another origin.
    config.push(["http.followRedirects", "false"]);
  }
  if (smudge) config.push(...LFS_FILTER);
  config.push(...transferOverrides(endpoint, repo));
  env.GIT_CONFIG_COUNT = String(config.length);
  config.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  // Proxy and CA for our runs only, as environment: never in .git/config, a proxy password never in argv.
  applyGitNetworkEnv(env, currentNetwork(baseEnv));
  env.GIT_TERMINAL_PROMPT = "0";
  env.GCM_INTERACTIVE = "never";
  if (!smudge) env.GIT_LFS_SKIP_SMUDGE = "1";
  env.LC_ALL = "C";
  env.LANGUAGE = "C";
  // Without a .git of its own the model folder must never resolve to a repository that contains it.
  if (ceilingDir) env.GIT_CEILING_DIRECTORIES = ceilingDir;
  return env;
}
