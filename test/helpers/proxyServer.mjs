// A real forward proxy for the tests (TooTallNate's `proxy`: CONNECT tunnels and absolute-URI requests), with
// optional basic auth. Prints "listening <port>" and then one JSON line per request it saw, as its access log.
import http from "node:http";
import { createProxy } from "proxy";

const [host = "127.0.0.1", port = "0", auth = ""] = process.argv.slice(2);
const server = createProxy(http.createServer());
if (auth) {
  const expected = `Basic ${Buffer.from(auth).toString("base64")}`;
  server.authenticate = (req) => req.headers["proxy-authorization"] === expected;
}
const log = (req) => {
  // The whole request as the proxy sees it: through a CONNECT tunnel that is only the target host:port.
  process.stdout.write(`${JSON.stringify({ method: req.method, url: req.url, headers: req.headers })}\n`);
};
server.prependListener("request", log);
server.prependListener("connect", log);
server.listen(Number(port), host, () => process.stdout.write(`listening ${server.address().port}\n`));
process.on("SIGTERM", () => process.exit(0));
