// Signed, expiring strings the local Hub hands out: Xet read tokens and CDN URLs.
// An HMAC over the payload with a per-server secret, so a test can forge nothing and expiry is real.
import { createHmac, timingSafeEqual } from "node:crypto";

function sign(secret: string, payload: string): string {
  return createHmac("sha256", secret).update(payload).digest("base64url");
}

export interface XetTokenClaims {
  repo: string;
  commit: string;
  /** Unix seconds. */
  exp: number;
}

export function issueXetToken(secret: string, claims: XetTokenClaims): string {
  const payload = Buffer.from(JSON.stringify(claims)).toString("base64url");
  return `xet_${payload}.${sign(secret, payload)}`;
}

/** Returns the claims of a valid, unexpired token, or undefined. */
export function verifyXetToken(secret: string, token: string | undefined, now = Date.now()): XetTokenClaims | undefined {
  if (!token?.startsWith("xet_")) return undefined;
  const [payload, signature] = token.slice(4).split(".");
  if (!payload || !signature || !safeEqual(sign(secret, payload), signature)) return undefined;
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString()) as XetTokenClaims;
  return claims.exp * 1000 > now ? claims : undefined;
}

/** Query string that signs `path` plus the listed extra fields until `expires` (unix seconds). */
export function signUrlQuery(secret: string, path: string, expires: number, fields: Record<string, string> = {}): string {
  const params = new URLSearchParams({ ...fields, Expires: String(expires) });
  params.set("Signature", sign(secret, `${path}?${params.toString()}`));
  return params.toString();
}

export type UrlCheck = { ok: true; fields: URLSearchParams } | { ok: false; reason: "expired" | "bad-signature" };

export function checkSignedUrl(secret: string, url: URL, now = Date.now()): UrlCheck {
  const params = new URLSearchParams(url.search);
  const signature = params.get("Signature");
  params.delete("Signature");
  if (!signature || !safeEqual(sign(secret, `${url.pathname}?${params.toString()}`), signature)) return { ok: false, reason: "bad-signature" };
  if (Number(params.get("Expires")) * 1000 <= now) return { ok: false, reason: "expired" };
  return { ok: true, fields: params };
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
