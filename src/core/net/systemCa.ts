// Where the operating system keeps its trusted certificate authorities as one PEM file: OpenSSL's SSL_CERT_FILE when
// set, else the first bundle a Linux distribution ships (the list Go's crypto/x509 reads). macOS and Windows keep
// theirs in a keychain / certificate store that no file shows: there the user exports the CA for `hfModels.caFile`.
import { existsSync } from "node:fs";

const BUNDLES = [
  "/etc/ssl/certs/ca-certificates.crt", // Debian, Ubuntu, Gentoo, Arch
  "/etc/pki/tls/certs/ca-bundle.crt", // Fedora, RHEL 6
  "/etc/ssl/ca-bundle.pem", // openSUSE
  "/etc/pki/tls/cacert.pem", // OpenELEC
  "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", // CentOS, RHEL 7
  "/etc/ssl/cert.pem", // Alpine
];

export function systemCaBundle(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string | undefined {
  const fromEnv = env.SSL_CERT_FILE?.trim();
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  if (platform !== "linux") return undefined;
  return BUNDLES.find((file) => existsSync(file));
}
