// A chat backend's view of our MCP endpoint, through the official TypeScript client.
//
//   node mcp-client.mjs [--accept-sse-only] BASE_URL TOKEN [TOOL_NAME [JSON_ARGUMENTS]]
//
// Connects to BASE_URL/api/mcp over Streamable HTTP with `Authorization: Bearer TOKEN` (initialize,
// then notifications/initialized), lists the tools (following nextCursor), calls TOOL_NAME with
// JSON_ARGUMENTS (default {}) when one is given, and prints ONE JSON line on stdout:
//   {"protocolVersion": ..., "serverName": ..., "tools": [names], "toolList": [Tool...],
//    "call": CallToolResult|null, "exchanges": [{method, rpc, protocolVersionHeader, status, ...}]}
// A JSON-RPC error (McpError) prints {"error": {"code", "message", "data"}} and exits 0;
// anything else (HTTP status, network, bad arguments) goes to stderr with a non-zero exit.
// --accept-sse-only makes every POST say `Accept: text/event-stream` (the SDK always sends both types),
// so the answers come as SSE and the SDK's SSE reader handles them.
//
// Version negotiation, as the SDK does it: initialize asks for LATEST_PROTOCOL_VERSION, the client
// rejects an answer outside SUPPORTED_PROTOCOL_VERSIONS, and from then on the transport sends the
// negotiated version as the MCP-Protocol-Version header on every request.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpError } from "@modelcontextprotocol/sdk/types.js";

const flags = new Set(process.argv.slice(2).filter((a) => a.startsWith("--")));
const [base, token, toolName, rawArguments] = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const acceptSseOnly = flags.delete("--accept-sse-only");
if (!base || !token || flags.size > 0) {
  console.error("usage: node mcp-client.mjs [--accept-sse-only] BASE_URL TOKEN [TOOL_NAME [JSON_ARGUMENTS]]");
  process.exit(2);
}

let toolArguments = {};
if (rawArguments !== undefined) {
  try {
    toolArguments = JSON.parse(rawArguments);
  } catch (e) {
    console.error(`JSON_ARGUMENTS is not JSON: ${e.message}`);
    process.exit(2);
  }
}

const url = new URL("api/mcp", base.endsWith("/") ? base : base + "/");
// What went over the wire, so a test can check the headers the SDK sent and the statuses it got.
const exchanges = [];
async function recordingFetch(input, init) {
  const headers = new Headers(init?.headers);
  if (acceptSseOnly && init?.method === "POST") {
    headers.set("accept", "text/event-stream");
    init = { ...init, headers };
  }
  let rpc = null;
  if (typeof init?.body === "string") {
    try {
      rpc = JSON.parse(init.body).method ?? "(response)";
    } catch {
      rpc = "(unparsed)";
    }
  }
  const response = await fetch(input, init);
  exchanges.push({
    method: init?.method ?? "GET",
    rpc,
    protocolVersionHeader: headers.get("mcp-protocol-version"),
    status: response.status,
    contentType: response.headers.get("content-type"),
    sessionId: response.headers.get("mcp-session-id"),
  });
  return response;
}

const transport = new StreamableHTTPClientTransport(url, {
  requestInit: { headers: { Authorization: `Bearer ${token}` } },
  fetch: recordingFetch,
});
const client = new Client({ name: "mcpfunctions-chat-backend", version: "1.0.0" });
const transportErrors = [];
client.onerror = (e) => transportErrors.push(e);

// process.exit does not wait for a piped stdout to drain: wait for the write before exiting.
function print(value) {
  return new Promise((resolve) => process.stdout.write(JSON.stringify(value) + "\n", resolve));
}

let exitCode = 0;
try {
  await client.connect(transport);
  const toolList = [];
  let cursor;
  const seen = new Set();
  do {
    const page = await client.listTools(cursor === undefined ? undefined : { cursor });
    toolList.push(...page.tools);
    cursor = page.nextCursor;
    if (cursor !== undefined) {
      if (seen.has(cursor)) throw new Error(`tools/list repeated the cursor ${cursor}`);
      seen.add(cursor);
    }
  } while (cursor !== undefined);

  const call = toolName ? await client.callTool({ name: toolName, arguments: toolArguments }) : null;
  await print({
    protocolVersion: transport.protocolVersion ?? null,
    serverName: client.getServerVersion()?.name ?? null,
    tools: toolList.map((t) => t.name),
    toolList,
    call,
    exchanges,
  });
} catch (e) {
  if (e instanceof McpError) {
    await print({ error: { code: e.code, message: e.message, data: e.data ?? null } });
  } else {
    console.error(e instanceof Error ? e.stack ?? e.message : String(e));
    for (const t of transportErrors) console.error("transport error:", t instanceof Error ? t.message : String(t));
    exitCode = 1;
  }
} finally {
  await client.close().catch(() => {});
}
process.exit(exitCode);
