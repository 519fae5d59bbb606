// Local Cosmos DB (NoSQL API) for tests and ./run.sh: @vercel/cosmosdb-server over HTTPS on
// 127.0.0.1, with the self-signed certificate the package ships.
//
//   node tools/localstack/cosmos.mjs PORT        (PORT 0 picks a free one)
//
// Prints `cosmos ready on https://127.0.0.1:PORT/` once listening; exits on SIGTERM/SIGINT.
// COSMOS_LOG=1 logs each request line and its Cosmos headers to stderr.
//
// What this launcher adds to the package, for the .NET SDK (3.64, Gateway mode):
// 1. Query plans. On Linux the SDK has no native query-plan interop, so it asks the gateway
//    (header `x-ms-cosmos-is-query-plan-request: True`), which the server does not implement.
//    We answer with a pass-through plan: one full range, an empty queryInfo. The server has a
//    single partition range and runs TOP, ORDER BY and aggregates itself, so the SDK forwards
//    the query unchanged and the result is right.
// 2. Partition-scoped queries and feeds. The server ignores the partition key header there:
//    it runs a query over every partition, or rejects it ("missing partition keys") when the
//    WHERE clause does not name the key, and reads the change feed of every partition. We
//    scope both to the header's partition.
// 3. Point reads of a missing id answer 404 (the server crashes with a 500 instead).
// 4. The .NET SDK's binary transactional batches get a clear 400 instead of a crash.
// 5. Resource ids in URLs. The SDK reads partition key ranges by rid (/dbs/{rid}/colls/{rid}/pkranges)
//    and, like the service, writes a rid's '/' as '-'. The server looks the rid up verbatim, so
//    every database or collection whose rid holds a '/' (one in 64) answered 404 to every query.
import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { isDeepStrictEqual } from "node:util";

const require = createRequire(import.meta.url);
const lib = (path) => require(`@vercel/cosmosdb-server/lib/${path}`);

const port = Number.parseInt(process.argv[2] ?? "0", 10);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error("usage: node cosmos.mjs PORT");
  process.exit(2);
}

const PK_HEADER = "x-ms-documentdb-partitionkey";
const isTrue = (v) => String(v ?? "").toLowerCase() === "true";
const notFound = (res) => {
  res.statusCode = 404;
  return { code: "NotFound", message: "Entity with the specified id does not exist in the system." };
};

// (3) Patch the handler module before the package's router captures it (on first require).
const readDocument = lib("handler/read-document.js");
const { parsePartitionKey } = lib("utils/get-partition-from-header.js");
const readDocumentOriginal = readDocument.default;
readDocument.default = (account, req, res, params) => {
  const collection = account.database(params.dbId).collection(params.collId);
  const pk = req.headers[PK_HEADER];
  if (collection.read() && pk && !collection.document(params.docId, parsePartitionKey(pk, params.docId)).read()) {
    return notFound(res);
  }
  return readDocumentOriginal(account, req, res, params);
};

// (5) An id or rid not found as given is tried once more with '-' read back as '/'. Ids win: the
// index is consulted first, and a rid is base64, so no real id is ever shadowed.
const Items = lib("account/items.js").default;
const itemOriginal = Items.prototype._item;
Items.prototype._item = function byIdOrRid(keyPath, value, partition) {
  const found = itemOriginal.call(this, keyPath, value, partition);
  if (found.read() || typeof value !== "string" || !value.includes("-")) return found;
  const rid = value.replaceAll("-", "/");
  return this._data.get(rid) ?? found;
};

// (2) The partition a docs query or feed read is scoped to, seen by Items through the async
// context of the request.
const partitionScope = new AsyncLocalStorage();
for (const method of ["query", "read"]) {
  const original = Items.prototype[method];
  Items.prototype[method] = function scoped(...args) {
    const scope = partitionScope.getStore();
    if (!scope) return original.apply(this, args);
    const inPartition = (item) => {
      const value = this._getPartition(item.read());
      // PartitionKey.None is sent as [{}]: documents without the key field.
      return value === undefined ? isDeepStrictEqual(scope.key, {}) : isDeepStrictEqual(value, scope.key);
    };
    const view = Object.create(this); // the same collection, seeing only the scoped partition
    view._data = new Map([...this._data].filter(([, item]) => inPartition(item)));
    return original.apply(view, args);
  };
}

const { createHttpsServer } = lib("index.js");

const QUERY_PLAN = JSON.stringify({
  partitionedQueryExecutionInfoVersion: 2,
  queryInfo: {
    distinctType: "None",
    top: null,
    offset: null,
    limit: null,
    orderBy: [],
    orderByExpressions: [],
    groupByExpressions: [],
    groupByAliases: [],
    aggregates: [],
    groupByAliasToAggregateType: {},
    rewrittenQuery: "",
    hasSelectValue: false,
    hasNonStreamingOrderBy: false,
  },
  queryRanges: [{ min: "", max: "FF", isMinInclusive: true, isMaxInclusive: false }],
});

// keepAlive: without it every request (the SDK keeps connections) pays a new TCP + TLS handshake, ~4 ms.
const server = createHttpsServer({ keepAlive: true });
const [serve] = server.listeners("request");
server.removeAllListeners("request");
server.on("request", (req, res) => {
  if (process.env.COSMOS_LOG === "1") {
    const headers = Object.entries(req.headers).filter(([k]) => k.startsWith("x-ms-") && !/date|version|activity|user-agent|sdk/.test(k));
    console.error(req.method, req.url, JSON.stringify(Object.fromEntries(headers)));
  }
  if (isTrue(req.headers["x-ms-cosmos-is-query-plan-request"])) {
    req.resume(); // drain the body: the plan does not depend on the query
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json", "x-ms-request-charge": "0", "x-ms-activity-id": randomUUID() });
      res.end(QUERY_PLAN);
    });
    return;
  }
  // The .NET SDK sends transactional batches as binary HybridRow, which the server cannot
  // read (it crashes with a 500); the JavaScript SDK's JSON batches still go through.
  if (isTrue(req.headers["x-ms-cosmos-is-batch-request"]) && !/json/.test(req.headers["content-type"] ?? "")) {
    req.resume();
    res.writeHead(400, { "content-type": "application/json", "x-ms-activity-id": randomUUID() });
    res.end(JSON.stringify({ code: "BadRequest", message: "local Cosmos: binary transactional batches are not supported" }));
    return;
  }
  // Queries (POST) and feed reads (GET, incl. change feed) on a collection's documents.
  const isDocsFeed = /^\/+dbs\/[^/]+\/colls\/[^/]+\/docs\/?(\?|$)/.test(req.url ?? "") &&
    (req.method === "GET" || req.method === "POST" && (isTrue(req.headers["x-ms-documentdb-isquery"]) ||
      req.headers["content-type"] === "application/query+json"));
  const pk = req.headers[PK_HEADER];
  if (isDocsFeed && pk) {
    let key;
    try {
      const parsed = JSON.parse(pk);
      key = Array.isArray(parsed) ? parsed[0] : parsed;
    } catch {
      res.writeHead(400, { "content-type": "application/json" });
      res.end(JSON.stringify({ code: "BadRequest", message: `invalid ${PK_HEADER} header` }));
      return;
    }
    req.headers["x-ms-documentdb-query-enablecrosspartition"] = "True"; // skip the server's WHERE check
    partitionScope.run({ key }, () => serve(req, res));
    return;
  }
  serve(req, res);
});

server.listen(port, "127.0.0.1", () => {
  console.log(`cosmos ready on https://127.0.0.1:${server.address().port}/`);
});

const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
