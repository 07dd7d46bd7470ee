// Which Hub we talk to: an explicit URL, else `HF_ENDPOINT`, else https://huggingface.co.
// Normalised without a trailing slash so callers can append `/api/...` and git paths.
import { DownloadError } from "../errors";
import { quoteInput } from "./repoId";

export const DEFAULT_ENDPOINT = "https://huggingface.co";

/** `explicit` wins over `HF_ENDPOINT`; empty values count as unset. Throws on anything but a plain http(s) URL. */
export function resolveEndpoint(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  const fromExplicit = explicit?.trim();
  const fromEnv = env.HF_ENDPOINT?.trim();
  const raw = fromExplicit || fromEnv || DEFAULT_ENDPOINT;
  const origin = fromExplicit ? "" : fromEnv ? " (from HF_ENDPOINT)" : "";
  let url: URL;
  try {
    url = new URL(raw);
  } catch (cause) {
    throw new DownloadError("invalid-endpoint", `Invalid Hub endpoint ${quoteInput(raw)}${origin}: expected a URL such as https://huggingface.co.`, { cause });
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new DownloadError("invalid-endpoint", `Invalid Hub endpoint ${quoteInput(raw)}${origin}: only http:// and https:// are supported.`);
  }
  // Credentials in the endpoint would end up in logs and git remotes; tokens go through HF_TOKEN instead.
  if (url.username || url.password) {
    throw new DownloadError("invalid-endpoint", `Invalid Hub endpoint${origin}: it must not contain credentials; give the access token separately.`);
  }
  if (url.search || url.hash) {
    throw new DownloadError("invalid-endpoint", `Invalid Hub endpoint ${quoteInput(raw)}${origin}: it must not contain "?" or "#".`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}
