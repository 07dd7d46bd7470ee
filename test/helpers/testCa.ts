// A private certificate authority made at test time with the openssl CLI: a CA and one leaf certificate for the
// local Hub's origins (IP SANs), as a corporate TLS-inspecting CA would issue. Nothing is checked in.
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestCa {
  dir: string;
  /** The CA certificate (what a user trusts). */
  caFile: string;
  key: string;
  cert: string;
}

export async function makeTestCa(options: { ips: string[]; names?: string[] }): Promise<TestCa> {
  const dir = await mkdtemp(join(tmpdir(), "hf-test-ca-"));
  const f = (name: string) => join(dir, name);
  const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f("ca.key"), "-out", f("ca.pem"), "-days", "2", "-subj", "/CN=HF Models Test CA",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
  ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f("leaf.key"), "-out", f("leaf.csr"), "-subj", "/CN=local-hub");
  const san = [...options.ips.map((ip) => `IP:${ip}`), ...(options.names ?? []).map((n) => `DNS:${n}`)].join(",");
  await writeFile(f("ext.cnf"), `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
  ssl("x509", "-req", "-in", f("leaf.csr"), "-CA", f("ca.pem"), "-CAkey", f("ca.key"), "-CAcreateserial", "-out", f("leaf.pem"), "-days", "2", "-extfile", f("ext.cnf"));
  return { dir, caFile: f("ca.pem"), key: await readFile(f("leaf.key"), "utf8"), cert: await readFile(f("leaf.pem"), "utf8") };
}
