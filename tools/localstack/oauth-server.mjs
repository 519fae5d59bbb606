// A real OAuth 2.0 authorization server on loopback for tests: oidc-provider (v8) with the
// authorization code grant, PKCE (S256, required), refresh tokens with rotation, revocation
// (RFC 7009) and introspection (RFC 7662), and a login/consent step drivable over plain HTTP.
//
//   node tools/localstack/oauth-server.mjs PORT [CONFIG]      (PORT 0 picks a free one)
//
// CONFIG is a path to a JSON file or the JSON text itself (it starts with "{"); without it the
// OAUTH_SERVER_CONFIG environment variable (JSON text) is read, and without that the defaults
// below apply. Prints `oauth ready on http://127.0.0.1:PORT` once listening (the issuer is that
// URL); exits on SIGTERM/SIGINT. DEBUG=oidc-provider:* logs the provider's internals to stderr.
//
// Config (every field optional):
//   {
//     "clients": [{
//       "client_id": "app", "client_secret": "app-secret",
//       "redirect_uris": ["http://127.0.0.1:5000/callback"],
//       "token_endpoint_auth_method": "client_secret_basic",     // or "client_secret_post"
//       "rotate_refresh_token": true     // false: see "Rotation" below (read by this launcher only)
//       // grant_types default to ["authorization_code", "refresh_token"], response_types to
//       // ["code"]; any other oidc-provider client metadata is passed through.
//     }],                              // default: test-client / test-secret, http://127.0.0.1:1/callback
//     "scopes": ["openid", "offline_access", "read", "write"],  // openid and offline_access always added
//     "accessTokenTtl": 60,            // seconds (opaque access tokens)
//     "refreshTokenTtl": 1209600,      // seconds
//     "authorizationCodeTtl": 60,      // seconds
//     "enforceClientAuthMethod": true, // see below
//     "refreshTokenExpiresIn": false   // true: token responses say when the refresh token lapses, as
//                                      // GitHub does (`refresh_token_expires_in`, seconds)
//   }
//
// Behaviour worth knowing:
// - PKCE is required for every authorization request, S256 only; a request without it (or with
//   `plain`) is redirected back with error=invalid_request.
// - Refresh tokens are issued when the granted scope holds offline_access. oidc-provider drops
//   offline_access unless the request says prompt=consent (OIDC Core 11); real providers (Entra
//   ID, ...) do not ask for that, so this launcher adds `consent` to the prompt of a GET /auth
//   that asks for offline_access. Our interaction always performs consent anyway.
// - Rotation is on: every refresh_token grant consumes the presented refresh token and returns a
//   new one. Presenting a consumed one again is reuse: oidc-provider answers invalid_grant,
//   deletes that token and revokes the whole grant (every access token, refresh token and code
//   issued under it), so the newest refresh token of the family is dead too.
//   A client registered with "rotate_refresh_token": false gets no rotation: its refresh token
//   stays valid across refreshes, and the refresh response carries no refresh_token at all (RFC
//   6749 §6 lets a server omit it; Google and others do), so the client must keep the one it has.
//   oidc-provider alone would echo the unchanged token; this launcher removes it from the answer.
// - Revoking a refresh token (RFC 7009) also revokes its grant, i.e. the tokens issued with it.
// - Client authentication: oidc-provider itself accepts client_secret_basic and client_secret_post
//   interchangeably for a client registered with either. With enforceClientAuthMethod (the
//   default) this launcher holds each client to its registered token_endpoint_auth_method at the
//   token, revocation and introspection endpoints: the other one answers 401 invalid_client.
//
// Interaction (no browser needed; there is no password):
//   GET  /interaction/:uid          an HTML page with two forms (login + consent, and deny)
//   POST /interaction/:uid/login    form `login=<account id>`: logs that account in and grants
//                                   every requested scope the server knows, in one step
//   POST /interaction/:uid/abort    denies: the client gets error=access_denied at its redirect_uri
// Both POSTs answer 303 to the provider's resume URL, which redirects on to the redirect_uri.
// The interaction cookies (`_interaction`, `_interaction_resume`, `_session`) must be kept.
//
// Test endpoints:
//   GET  /_test/stats   {"authorizationCodeGrants", "refreshTokenGrants", "grantErrors", ...} (see newStats)
//   POST /_test/reset   zeroes the counters (tokens and grants stay valid); answers the zeroed stats
//   POST /_test/faults  form `path=/token&status=503&count=3[&retry_after=1]`: the next `count` requests to
//                       that path answer `status` with {"error":"temporarily_unavailable"} (and Retry-After)
//                       before oidc-provider sees them; `faultsServed` in the stats counts them
//   POST /_test/mint    JSON {"client_id", "account", "scope", "count"} -> {"refresh_tokens": [...], "expires_in"}
//                       Issues `count` (1..10000, default 1) refresh tokens without a browser, for load tests
//                       that need thousands of connections (the code flow costs several requests each). Each
//                       token gets its own grant for `account` (default "bench-user"), created through
//                       oidc-provider's own models (Grant, RefreshToken) exactly as the authorization_code
//                       grant stores them (gty authorization_code, rotations 0), so the normal refresh_token
//                       grant then works on them with rotation and reuse detection like on any other.
//                       `scope` (default "offline_access") must name known scopes; offline_access is always
//                       added (a refresh token means offline access). The client must be registered and allow
//                       the refresh_token grant. Changes no counter and no other token.
import { AsyncLocalStorage } from "node:async_hooks";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import Provider, { errors } from "oidc-provider";

const port = Number.parseInt(process.argv[2] ?? "0", 10);
if (!Number.isInteger(port) || port < 0 || port > 65535 || process.argv.length > 4) {
  console.error("usage: node oauth-server.mjs PORT [CONFIG_FILE|CONFIG_JSON]");
  process.exit(2);
}

function readConfig() {
  const raw = process.argv[3] ?? process.env.OAUTH_SERVER_CONFIG;
  if (raw === undefined || raw.trim() === "") {
    return {};
  }
  try {
    return JSON.parse(raw.trimStart().startsWith("{") ? raw : readFileSync(raw, "utf8"));
  } catch (e) {
    console.error(`oauth-server: cannot read the config: ${e.message}`);
    process.exit(2);
  }
}

const config = readConfig();
const positiveSeconds = (name, fallback) => {
  const value = config[name] ?? fallback;
  if (!Number.isInteger(value) || value < 1) {
    console.error(`oauth-server: ${name} must be a positive integer (seconds), not ${JSON.stringify(value)}`);
    process.exit(2);
  }
  return value;
};
const accessTokenTtl = positiveSeconds("accessTokenTtl", 60);
const refreshTokenTtl = positiveSeconds("refreshTokenTtl", 14 * 24 * 60 * 60);
const authorizationCodeTtl = positiveSeconds("authorizationCodeTtl", 60);
const enforceClientAuthMethod = config.enforceClientAuthMethod ?? true;
const reportRefreshTokenExpiry = config.refreshTokenExpiresIn ?? false;
const scopes = [...new Set(["openid", "offline_access", ...(config.scopes ?? ["read", "write"])])];
const knownScopes = new Set(scopes);
// Read by this launcher, not oidc-provider (which rejects unknown client metadata).
const nonRotatingClients = new Set(
  (config.clients ?? []).filter((client) => client.rotate_refresh_token === false).map((client) => client.client_id),
);
const clients = (config.clients ?? [
  {
    client_id: "test-client",
    client_secret: "test-secret",
    redirect_uris: ["http://127.0.0.1:1/callback"],
  },
]).map((client) => ({
  grant_types: ["authorization_code", "refresh_token"],
  response_types: ["code"],
  token_endpoint_auth_method: "client_secret_basic",
  ...Object.fromEntries(Object.entries(client).filter(([name]) => name !== "rotate_refresh_token")),
}));

// ---- counters -------------------------------------------------------------------------------

function newStats() {
  return {
    authorizationCodeGrants: 0, // successful authorization_code grants (token responses)
    authorizationCodeGrantErrors: 0,
    refreshTokenGrants: 0, // successful refresh_token grants
    refreshTokenGrantErrors: 0,
    refreshTokenReuses: 0, // refresh_token grants that presented an already consumed token
    refreshTokensRotated: 0, // refresh tokens consumed by rotation
    grantErrors: 0, // every failed token request, any grant type
    grantsRevoked: 0, // grants revoked (reuse, code replay, RFC 7009 revocation of a refresh token)
    revocationRequests: 0, // RFC 7009 requests answered 200 (also those naming an unknown token)
    revocations: 0, // RFC 7009 requests that revoked a token
    authorizations: 0, // authorization responses with a code
    authorizationErrors: 0, // authorization responses with an error (access_denied, invalid_request, ...)
    faultsServed: 0, // answers injected by /_test/faults
    lastError: null, // {event, error, error_description, error_detail, grant_type} of the last failure
  };
}

let stats = newStats();

function recordError(event, ctx, err) {
  stats.lastError = {
    event,
    error: err?.error ?? err?.name ?? "error",
    error_description: err?.error_description ?? err?.message ?? null,
    error_detail: err?.error_detail ?? null,
    grant_type: ctx?.oidc?.params?.grant_type ?? null,
  };
}

// ---- storage --------------------------------------------------------------------------------

// In-memory storage for the provider's models: a Map without eviction (the package's
// development adapter is an LRU of 1000 entries, and warns on every start).
const storage = new Map(); // key -> {payload, expiresAt (ms)}
const nowSeconds = () => Math.floor(Date.now() / 1000);
const grantable = new Set(["AccessToken", "AuthorizationCode", "RefreshToken", "DeviceCode", "BackchannelAuthenticationRequest"]);

function load(key) {
  const entry = storage.get(key);
  if (entry && entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
    storage.delete(key);
    return undefined;
  }
  return entry?.payload;
}

function store(key, payload, expiresIn) {
  storage.set(key, { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : undefined });
}

// Expired entries are dropped when read; sweep the rest now and then.
setInterval(() => {
  const now = Date.now();
  for (const [key, entry] of storage) {
    if (entry.expiresAt !== undefined && entry.expiresAt <= now) {
      storage.delete(key);
    }
  }
}, 60_000).unref();

class MapAdapter {
  constructor(model) {
    this.model = model;
  }

  key(id) {
    return `${this.model}:${id}`;
  }

  async upsert(id, payload, expiresIn) {
    const key = this.key(id);
    if (this.model === "Session") {
      store(`sessionUid:${payload.uid}`, id, expiresIn);
    }
    if (grantable.has(this.model) && payload.grantId) {
      const grantKey = `grant:${payload.grantId}`;
      const members = load(grantKey);
      if (members) {
        members.push(key);
      } else {
        store(grantKey, [key]);
      }
    }
    if (payload.userCode) {
      store(`userCode:${payload.userCode}`, id, expiresIn);
    }
    store(key, payload, expiresIn);
  }

  async find(id) {
    return load(this.key(id));
  }

  async findByUid(uid) {
    const id = load(`sessionUid:${uid}`);
    return id === undefined ? undefined : this.find(id);
  }

  async findByUserCode(userCode) {
    const id = load(`userCode:${userCode}`);
    return id === undefined ? undefined : this.find(id);
  }

  async consume(id) {
    const payload = load(this.key(id));
    if (payload) {
      payload.consumed = nowSeconds();
    }
  }

  async destroy(id) {
    storage.delete(this.key(id));
  }

  async revokeByGrantId(grantId) {
    const grantKey = `grant:${grantId}`;
    for (const key of load(grantKey) ?? []) {
      storage.delete(key);
    }
    storage.delete(grantKey);
  }
}

// ---- provider -------------------------------------------------------------------------------

const server = createServer();
await new Promise((resolve, reject) => {
  server.once("error", reject);
  server.listen(port, "127.0.0.1", resolve);
});
const issuer = `http://127.0.0.1:${server.address().port}`;

const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: "jwk" }), kid: "oauth-server-1", use: "sig", alg: "RS256" };

const provider = new Provider(issuer, {
  adapter: MapAdapter,
  clients,
  scopes,
  responseTypes: ["code"],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString("base64url")] },
  pkce: { methods: ["S256"], required: () => true },
  rotateRefreshToken: (ctx) => !nonRotatingClients.has(ctx.oidc.client?.clientId),
  issueRefreshToken: async (ctx, client, code) =>
    client.grantTypeAllowed("refresh_token") && code.scopes.has("offline_access"),
  ttl: {
    AccessToken: accessTokenTtl,
    AuthorizationCode: authorizationCodeTtl,
    RefreshToken: refreshTokenTtl,
    Grant: refreshTokenTtl,
    Interaction: 60 * 60,
    Session: 24 * 60 * 60,
    IdToken: 60 * 60,
  },
  features: {
    devInteractions: { enabled: false },
    revocation: { enabled: true },
    introspection: { enabled: true },
    rpInitiatedLogout: { enabled: false },
    // No resource indicators: access tokens are opaque and scoped to the OIDC scopes granted.
    resourceIndicators: { enabled: false },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  findAccount: async (ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
});

provider.on("grant.success", (ctx) => {
  switch (ctx.oidc.params.grant_type) {
    case "authorization_code":
      stats.authorizationCodeGrants += 1;
      break;
    case "refresh_token":
      stats.refreshTokenGrants += 1;
      break;
    default:
      break;
  }
});
provider.on("grant.error", (ctx, err) => {
  stats.grantErrors += 1;
  switch (ctx.oidc?.params?.grant_type) {
    case "authorization_code":
      stats.authorizationCodeGrantErrors += 1;
      break;
    case "refresh_token":
      stats.refreshTokenGrantErrors += 1;
      if (err?.error_detail === "refresh token already used") {
        stats.refreshTokenReuses += 1;
      }
      break;
    default:
      break;
  }
  recordError("grant.error", ctx, err);
});
provider.on("refresh_token.consumed", () => {
  stats.refreshTokensRotated += 1;
});
provider.on("grant.revoked", () => {
  stats.grantsRevoked += 1;
});
provider.on("authorization.success", () => {
  stats.authorizations += 1;
});
provider.on("authorization.error", (ctx, err) => {
  stats.authorizationErrors += 1;
  recordError("authorization.error", ctx, err);
});
for (const event of ["revocation.error", "introspection.error", "userinfo.error", "check_session.error"]) {
  provider.on(event, (ctx, err) => recordError(event, ctx, err));
}
provider.on("server_error", (ctx, err) => {
  recordError("server_error", ctx, err);
  console.error(`oauth-server: server_error on ${ctx.method} ${ctx.path}:`, err);
});

// The revocation endpoint emits no success event: count the 200s it answers, and those among them
// that found a token (it becomes an entity of the request).
provider.use(async (ctx, next) => {
  await next();
  if (ctx.oidc?.route === "revocation" && ctx.status === 200) {
    stats.revocationRequests += 1;
    const { AccessToken, RefreshToken, ClientCredentials } = ctx.oidc.entities;
    if (AccessToken || RefreshToken || ClientCredentials) {
      stats.revocations += 1;
    }
  }
});

// A non-rotating client's refresh response omits refresh_token (see "Rotation" in the header).
provider.use(async (ctx, next) => {
  await next();
  if (
    ctx.oidc?.route === "token" &&
    ctx.status === 200 &&
    ctx.oidc.params?.grant_type === "refresh_token" &&
    nonRotatingClients.has(ctx.oidc.client?.clientId) &&
    ctx.body &&
    typeof ctx.body === "object"
  ) {
    delete ctx.body.refresh_token;
  }
});

// refreshTokenExpiresIn: oidc-provider does not say when a refresh token lapses; GitHub does, and we
// plan refreshes by it. Every refresh token issued here lives refreshTokenTtl (rotation included).
if (reportRefreshTokenExpiry) {
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.oidc?.route === "token" && ctx.status === 200 && ctx.body?.refresh_token) {
      ctx.body.refresh_token_expires_in = ctx.oidc.entities.RefreshToken?.remainingTTL ?? refreshTokenTtl;
    }
  });
}

// enforceClientAuthMethod: the provider compares the secret for both methods alike; before it
// does, check the method the raw request used (an Authorization: Basic header or not) against
// the client's registered one. Thrown here, the error becomes a 401 invalid_client.
const rawRequest = new AsyncLocalStorage();
if (enforceClientAuthMethod) {
  const compareClientSecret = provider.Client.prototype.compareClientSecret;
  provider.Client.prototype.compareClientSecret = function compareWithMethod(actual) {
    const req = rawRequest.getStore();
    const used = /^basic /i.test(req?.headers.authorization ?? "") ? "client_secret_basic" : "client_secret_post";
    if (req && used !== this.clientAuthMethod) {
      throw new errors.InvalidClientAuth(`client ${this.clientId} is registered for ${this.clientAuthMethod}, not ${used}`);
    }
    return compareClientSecret.call(this, actual);
  };
}

// ---- interaction ----------------------------------------------------------------------------

const escapeHtml = (text) =>
  String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) {
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

function send(res, status, contentType, body) {
  res.statusCode = status;
  res.setHeader("Content-Type", contentType);
  res.setHeader("Cache-Control", "no-store");
  res.end(body);
}

const sendJson = (res, status, value) => send(res, status, "application/json", JSON.stringify(value));

async function interactionPage(req, res, uid) {
  const { prompt, params } = await provider.interactionDetails(req, res);
  const base = `/interaction/${encodeURIComponent(uid)}`;
  send(
    res,
    200,
    "text/html; charset=utf-8",
    `<!DOCTYPE html>
<html><head><title>oauth-server: ${escapeHtml(prompt.name)}</title></head><body>
<p>Client <code>${escapeHtml(params.client_id)}</code> asks for <code>${escapeHtml(params.scope ?? "")}</code> (prompt: ${escapeHtml(prompt.name)}).</p>
<form id="login" method="post" action="${base}/login">
<input name="login" placeholder="account id" autofocus><button type="submit">Log in and allow</button>
</form>
<form id="abort" method="post" action="${base}/abort"><button type="submit">Deny</button></form>
</body></html>
`,
  );
}

async function interactionLogin(req, res) {
  const form = await readForm(req);
  const details = await provider.interactionDetails(req, res);
  const { prompt, params, session } = details;
  const accountId = form.get("login")?.trim() || session?.accountId;
  if (!accountId) {
    send(res, 400, "text/plain; charset=utf-8", "login (an account id) is required\n");
    return;
  }

  let grant = details.grantId ? await provider.Grant.find(details.grantId) : undefined;
  if (!grant || grant.accountId !== accountId) {
    grant = new provider.Grant({ accountId, clientId: params.client_id });
  }
  const requested = String(params.scope ?? "")
    .split(" ")
    .filter((scope) => knownScopes.has(scope));
  if (requested.length > 0) {
    grant.addOIDCScope(requested.join(" "));
  }
  if (prompt.details.missingOIDCClaims) {
    grant.addOIDCClaims(prompt.details.missingOIDCClaims);
  }
  const grantId = await grant.save();

  await provider.interactionFinished(
    req,
    res,
    { login: { accountId }, consent: { grantId } },
    { mergeWithLastSubmission: false },
  );
}

async function interactionAbort(req, res) {
  await readForm(req);
  await provider.interactionFinished(
    req,
    res,
    { error: "access_denied", error_description: "End-User denied the authorization request" },
    { mergeWithLastSubmission: false },
  );
}

// ---- test minting ---------------------------------------------------------------------------

const MAX_MINT = 10_000;

class MintError extends Error {}

async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) {
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  try {
    return text.trim() === "" ? {} : JSON.parse(text);
  } catch {
    throw new MintError("the body must be JSON");
  }
}

// Grants and refresh tokens as the authorization_code grant creates them (see the header).
async function mint(req, res) {
  const body = await readJson(req);
  const count = body.count ?? 1;
  if (!Number.isInteger(count) || count < 1 || count > MAX_MINT) {
    throw new MintError(`count must be an integer in 1..${MAX_MINT}`);
  }
  const accountId = body.account ?? "bench-user";
  if (typeof accountId !== "string" || accountId === "") {
    throw new MintError("account must be a non-empty string");
  }
  const requested = String(body.scope ?? "").split(" ").filter(Boolean);
  const unknown = requested.filter((scope) => !knownScopes.has(scope));
  if (unknown.length > 0) {
    throw new MintError(`unknown scope(s): ${unknown.join(" ")}`);
  }
  const scope = [...new Set([...requested, "offline_access"])].join(" ");
  const client = typeof body.client_id === "string" ? await provider.Client.find(body.client_id) : undefined;
  if (!client) {
    throw new MintError("client_id must name a registered client");
  }
  if (!client.grantTypeAllowed("refresh_token")) {
    throw new MintError(`client ${client.clientId} does not allow the refresh_token grant`);
  }

  const refreshTokens = [];
  for (let i = 0; i < count; i += 1) {
    const grant = new provider.Grant({ accountId, clientId: client.clientId });
    grant.addOIDCScope(scope);
    const grantId = await grant.save();
    const token = new provider.RefreshToken({
      accountId,
      client,
      grantId,
      gty: "authorization_code",
      rotations: 0,
      scope,
      authTime: nowSeconds(),
    });
    refreshTokens.push(await token.save());
  }
  sendJson(res, 200, { refresh_tokens: refreshTokens, expires_in: refreshTokenTtl });
}

// ---- routing --------------------------------------------------------------------------------

const providerCallback = provider.callback();
const faults = new Map();

async function route(req, res) {
  const url = new URL(req.url, issuer);
  const path = url.pathname;

  if (path === "/_test/stats" && req.method === "GET") {
    sendJson(res, 200, stats);
    return;
  }
  if (path === "/_test/reset" && req.method === "POST") {
    stats = newStats();
    sendJson(res, 200, stats);
    return;
  }
  if (path === "/_test/mint" && req.method === "POST") {
    try {
      await mint(req, res);
    } catch (err) {
      if (!(err instanceof MintError)) {
        throw err;
      }
      sendJson(res, 400, { error: "invalid_request", error_description: err.message });
    }
    return;
  }
  if (path === "/_test/faults" && req.method === "POST") {
    const form = await readForm(req);
    const fault = {
      status: Number.parseInt(form.get("status") ?? "503", 10),
      count: Number.parseInt(form.get("count") ?? "1", 10),
      retryAfter: form.get("retry_after"),
    };
    faults.set(form.get("path") ?? "/token", fault);
    sendJson(res, 200, { path: form.get("path") ?? "/token", ...fault });
    return;
  }
  const fault = faults.get(path);
  if (fault && fault.count > 0) {
    fault.count -= 1;
    stats.faultsServed += 1;
    for await (const _ of req) {
      // drain the body so the client sees a clean answer
    }
    if (fault.retryAfter) {
      res.setHeader("Retry-After", fault.retryAfter);
    }
    sendJson(res, fault.status, { error: "temporarily_unavailable", error_description: "injected by /_test/faults" });
    return;
  }

  const interaction = /^\/interaction\/([^/]+)(?:\/(login|abort))?$/.exec(path);
  if (interaction) {
    const [, uid, action] = interaction;
    try {
      if (!action && req.method === "GET") {
        await interactionPage(req, res, uid);
      } else if (action === "login" && req.method === "POST") {
        await interactionLogin(req, res);
      } else if (action === "abort" && req.method === "POST") {
        await interactionAbort(req, res);
      } else {
        send(res, 405, "text/plain; charset=utf-8", "method not allowed\n");
      }
    } catch (err) {
      // SessionNotFound (no or stale interaction cookie) and the like.
      recordError("interaction.error", undefined, err);
      send(res, err?.statusCode ?? 500, "text/plain; charset=utf-8", `${err?.error ?? "error"}: ${err?.error_description ?? err?.message}\n`);
    }
    return;
  }

  // offline_access needs prompt=consent in oidc-provider; add it (see the header).
  if (path === "/auth" && req.method === "GET") {
    const scope = url.searchParams.get("scope") ?? "";
    const prompt = (url.searchParams.get("prompt") ?? "").split(" ").filter(Boolean);
    if (scope.split(" ").includes("offline_access") && !prompt.includes("consent") && !prompt.includes("none")) {
      url.searchParams.set("prompt", [...prompt, "consent"].join(" "));
      req.url = url.pathname + url.search;
    }
  }

  rawRequest.run(req, () => providerCallback(req, res));
}

server.on("request", (req, res) => {
  route(req, res).catch((err) => {
    console.error("oauth-server: unhandled error:", err);
    if (!res.headersSent) {
      send(res, 500, "text/plain; charset=utf-8", "internal error\n");
    } else {
      res.destroy();
    }
  });
});

const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);

console.log(`oauth ready on ${issuer}`);
