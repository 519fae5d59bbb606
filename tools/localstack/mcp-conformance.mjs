// Runs one @modelcontextprotocol/conformance server scenario against our MCP endpoint.
//
//   node mcp-conformance.mjs BASE_URL TOKEN SCENARIO
//
// The conformance CLI (`conformance server --url URL --scenario NAME`) has no way to send a header,
// and our endpoint needs `Authorization: Bearer ...`. So this starts a loopback HTTP proxy that adds
// the header and forwards every request to BASE_URL/api/mcp, points the runner at the proxy, and
// passes the runner's output through to stderr. The last stdout line is one JSON object:
//   {"scenario", "exitCode", "checks": [the runner's checks.json], "exchanges": [what the proxy forwarded]}
// The exit code is the runner's (0 = every check passed).
import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const [base, token, scenario] = process.argv.slice(2);
if (!base || !token || !scenario) {
  console.error("usage: node mcp-conformance.mjs BASE_URL TOKEN SCENARIO");
  process.exit(2);
}

const here = path.dirname(fileURLToPath(import.meta.url));
const packageDir = path.join(here, "node_modules", "@modelcontextprotocol", "conformance");
const packageJson = JSON.parse(await readFile(path.join(packageDir, "package.json"), "utf8"));
const cli = path.join(packageDir, packageJson.bin.conformance);
const target = new URL("api/mcp", base.endsWith("/") ? base : base + "/");

// Hop-by-hop headers (RFC 9110 §7.6.1) are the proxy's own business on each side.
const hopByHop = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer"]);
const exchanges = [];

const proxy = http.createServer((request, response) => {
  const headers = {};
  for (const [name, value] of Object.entries(request.headers)) {
    // Host passes through, as a reverse proxy that preserves it does: the DNS-rebinding scenario compares it with Origin.
    if (!hopByHop.has(name) && name !== "authorization") headers[name] = value;
  }
  headers.authorization = `Bearer ${token}`;
  const exchange = { method: request.method, protocolVersionHeader: request.headers["mcp-protocol-version"] ?? null, status: null };
  exchanges.push(exchange);

  const upstream = http.request(target, { method: request.method, headers }, (answer) => {
    exchange.status = answer.statusCode;
    exchange.contentType = answer.headers["content-type"] ?? null;
    const back = {};
    for (const [name, value] of Object.entries(answer.headers)) {
      if (!hopByHop.has(name)) back[name] = value;
    }
    response.writeHead(answer.statusCode, back);
    answer.pipe(response);
  });
  upstream.on("error", (e) => {
    exchange.status = 502;
    exchange.error = e.message;
    if (!response.headersSent) response.writeHead(502, { "content-type": "text/plain" });
    response.end(`proxy: ${e.message}`);
  });
  request.pipe(upstream);
});
await new Promise((resolve, reject) => proxy.once("error", reject).listen(0, "127.0.0.1", resolve));
const proxyUrl = `http://127.0.0.1:${proxy.address().port}${target.pathname}`;

const outputDir = await mkdtemp(path.join(tmpdir(), "mcp-conformance-"));
let exitCode = 1;
let checks = [];
try {
  exitCode = await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, "server", "--url", proxyUrl, "--scenario", scenario, "-o", outputDir], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
    });
    child.stdout.pipe(process.stderr, { end: false });
    child.stderr.pipe(process.stderr, { end: false });
    child.on("error", reject);
    child.on("close", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
  // The runner writes OUTPUT_DIR/<scenario>-<timestamp>/checks.json (the folder name varies by version).
  const folders = await readdir(outputDir, { recursive: true });
  const file = folders.find((f) => path.basename(f) === "checks.json");
  if (file) checks = JSON.parse(await readFile(path.join(outputDir, file), "utf8"));
} finally {
  proxy.close();
  proxy.closeAllConnections?.();
  await rm(outputDir, { recursive: true, force: true });
}

// process.exit does not wait for a piped stdout to drain: wait for the write first.
await new Promise((resolve) => process.stdout.write(JSON.stringify({ scenario, exitCode, checks, exchanges }) + "\n", resolve));
process.exit(exitCode);
