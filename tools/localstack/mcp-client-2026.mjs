// A chat backend on the current MCP client (@modelcontextprotocol/client 2.x), pinned to one protocol revision.
//
//   node mcp-client-2026.mjs --version V BASE_URL TOKEN [TOOL_NAME [JSON_ARGUMENTS]]
//
// V is 2026-07-28 (stateless: server/discover, every request carries _meta and the Mcp-Method/Mcp-Name headers),
// or 2025-11-25 / 2025-06-18 (initialize). Lists the tools (following nextCursor) and calls TOOL_NAME when given.
//
// Connecting mid-call: the client declares URL-mode elicitation. When the server asks for it (2026: an
// input_required result the client fulfils itself and then retries; 2025-11-25: error -32042, retried here once),
// this prints {"elicitation": {"mode","url","message"}} as one line and waits for one line on stdin, "accept" or
// "decline", which it answers with. The test drives the user's browser in between.
//
// Prints ONE final JSON line: {"protocolVersion", "serverName", "discover", "tools", "toolList", "call", "exchanges"};
// a JSON-RPC error prints {"error": {"code","message","data"}, "exchanges"} and exits 0; anything else exits non-zero.
import { createInterface } from "node:readline";
import { Client, StreamableHTTPClientTransport, ProtocolError, UrlElicitationRequiredError } from "@modelcontextprotocol/client";

const args = process.argv.slice(2);
const versionAt = args.indexOf("--version");
const version = versionAt >= 0 ? args[versionAt + 1] : undefined;
const [base, token, toolName, rawArguments] = args.filter((_, i) => i !== versionAt && i !== versionAt + 1);
if (!version || !base || !token) {
  console.error("usage: node mcp-client-2026.mjs --version V BASE_URL TOKEN [TOOL_NAME [JSON_ARGUMENTS]]");
  process.exit(2);
}
const toolArguments = rawArguments === undefined ? {} : JSON.parse(rawArguments);
const modern = version >= "2026-07-28";

const stdinLines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
async function askUser(elicitation) {
  await print({ elicitation: { mode: elicitation.mode ?? null, url: elicitation.url ?? null, message: elicitation.message ?? null } });
  const { value } = await stdinLines.next();
  return (value ?? "decline").trim();
}

const url = new URL("api/mcp", base.endsWith("/") ? base : base + "/");
const exchanges = [];
async function recordingFetch(input, init) {
  const headers = new Headers(init?.headers);
  let body = null;
  if (typeof init?.body === "string") {
    try { body = JSON.parse(init.body); } catch { body = null; }
  }
  const response = await fetch(input, init);
  exchanges.push({
    method: init?.method ?? "GET",
    rpc: body?.method ?? null,
    protocolVersionHeader: headers.get("mcp-protocol-version"),
    mcpMethodHeader: headers.get("mcp-method"),
    mcpNameHeader: headers.get("mcp-name"),
    metaProtocolVersion: body?.params?._meta?.["io.modelcontextprotocol/protocolVersion"] ?? null,
    hasRequestState: typeof body?.params?.requestState === "string",
    status: response.status,
  });
  return response;
}

function print(value) {
  return new Promise((resolve) => process.stdout.write(JSON.stringify(value) + "\n", resolve));
}

const transport = new StreamableHTTPClientTransport(url, {
  requestInit: { headers: { Authorization: `Bearer ${token}` } },
  fetch: recordingFetch,
});
const client = new Client(
  { name: "mcpfunctions-chat-backend", version: "2.0.0" },
  modern
    ? { capabilities: { elicitation: { url: {} } }, versionNegotiation: { mode: { pin: version } } }
    : { capabilities: { elicitation: { url: {} } }, supportedProtocolVersions: [version] },
);
client.setRequestHandler("elicitation/create", async (request) => ({ action: await askUser(request.params) }));

let exitCode = 0;
try {
  await client.connect(transport);
  const toolList = [];
  let cursor;
  do {
    const page = await client.listTools(cursor === undefined ? undefined : { cursor });
    toolList.push(...page.tools);
    cursor = page.nextCursor;
  } while (cursor !== undefined);

  let call = null;
  if (toolName) {
    try {
      call = await client.callTool({ name: toolName, arguments: toolArguments });
    } catch (e) {
      // 2025-11-25's way: -32042 names the URL; once the user has been there, the call is simply made again.
      if (!(e instanceof UrlElicitationRequiredError)) throw e;
      const answer = await askUser(e.elicitations?.[0] ?? e.data?.elicitations?.[0] ?? {});
      if (answer !== "accept") throw e;
      call = await client.callTool({ name: toolName, arguments: toolArguments });
    }
  }

  await print({
    protocolVersion: client.getNegotiatedProtocolVersion?.() ?? transport.protocolVersion ?? null,
    serverName: client.getServerVersion()?.name ?? null,
    tools: toolList.map((t) => t.name),
    toolList,
    call,
    exchanges,
  });
} catch (e) {
  if (e instanceof ProtocolError || (e && typeof e.code === "number")) {
    await print({ error: { code: e.code, message: e.message, data: e.data ?? null }, exchanges });
  } else {
    console.error(e instanceof Error ? e.stack ?? e.message : String(e));
    exitCode = 1;
  }
} finally {
  await client.close().catch(() => {});
}
process.exit(exitCode);
