// Mirrors (`HF_ENDPOINT`): a mirror forwards huggingface.co's headers, so the resolve answer's `xet-auth` link may
// still name https://huggingface.co. Like huggingface_hub (utils/_xet.py parse_xet_file_data_from_response), the
// client puts the configured endpoint in its place, so the Hub token goes to the mirror and never elsewhere.

export const HUGGINGFACE_CO = "https://huggingface.co";

/** `url` with a leading `https://huggingface.co` replaced by `endpoint` (any path prefix of it kept). */
export function onEndpoint(url: string, endpoint: string): string {
  const base = endpoint.replace(/\/+$/, "");
  if (base === HUGGINGFACE_CO) return url;
  if (url === HUGGINGFACE_CO || url.startsWith(`${HUGGINGFACE_CO}/`)) return base + url.slice(HUGGINGFACE_CO.length);
  return url;
}
