using System.Buffers;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace McpFunctions.StandIns.KeyVault;

/// <summary>
/// A local stand-in for the Azure Key Vault secrets REST API, as <c>Azure.Security.KeyVault.Secrets</c> calls it
/// (4.12.0 sends <c>api-version=2026-04-01</c>; any version is accepted):
/// an HTTPS Kestrel server on <c>https://127.0.0.1:{random port}/</c> with a self-signed certificate made in-process,
/// in-memory thread-safe secrets with versions, the bearer challenge, fault injection and a request log.
/// </summary>
/// <remarks>
/// <para>HTTPS because the SDK refuses to send a bearer token over plain HTTP. Clients trust the certificate with
/// <see cref="CreateTrustingHandler"/> (that exact certificate, nothing else) and set
/// <c>DisableChallengeResourceVerification</c>, because the challenge names <c>https://vault.azure.net</c>,
/// which a loopback host is not under.</para>
/// <para>Endpoints: <c>GET /secrets/{name}</c> (latest version), <c>GET /secrets/{name}/{version}</c>,
/// <c>GET /secrets/{name}/versions</c> (pages of <c>maxresults</c>, at most 25, with <c>nextLink</c>; items without
/// value), <c>PUT /secrets/{name}</c> (adds a version). Every request needs <c>api-version</c>. A request without
/// <c>Authorization</c> gets 401 and <c>WWW-Authenticate: Bearer authorization="https://login.microsoftonline.com/{tenant}",
/// resource="https://vault.azure.net"</c>; after it, only <c>Bearer {AccessToken}</c> is accepted. Errors use Key Vault's
/// body <c>{"error":{"code","message"}}</c>: 404 <c>SecretNotFound</c>, 403 <c>Forbidden</c> with inner error
/// <c>SecretDisabled</c> for reading a disabled version, 400 <c>BadParameter</c>. The versions of an unknown secret
/// are an empty list.</para>
/// <para>Not modelled: deleting, recovering, backup, tags, expiry and not-before, other object types.</para>
/// </remarks>
public sealed class KeyVaultStandIn : IAsyncDisposable
{
    /// <summary>The resource the challenge names; the SDK asks its credential for <c>{Resource}/.default</c>.</summary>
    public const string Resource = "https://vault.azure.net";

    /// <summary>The largest page Key Vault returns, also its default.</summary>
    public const int MaxPageSize = 25;

    private const string RecoveryLevel = "Recoverable+Purgeable";
    private const int MaxValueLength = 25 * 1024;
    private const string SkipTokenPrefix = "standin-offset:";

    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false };

    private readonly WebApplication _app;
    private readonly X509Certificate2 _certificate;
    private readonly TimeProvider _clock;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, SecretHistory> _secrets = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<KeyVaultRequest> _requests = [];
    private readonly FaultQueue _faults = new();
    private int _pageSize = MaxPageSize;
    private volatile bool _offline;
    private int _disposed;

    private KeyVaultStandIn(WebApplication app, X509Certificate2 certificate, TimeProvider clock)
    {
        _app = app;
        _certificate = certificate;
        _clock = clock;
    }

    /// <summary>The vault URI to give <c>SecretClient</c>, e.g. <c>https://127.0.0.1:51234/</c>.</summary>
    public Uri VaultUri { get; private set; } = null!;

    /// <summary>The tenant named in the challenge's <c>authorization</c> parameter.</summary>
    public string TenantId { get; } = Guid.NewGuid().ToString();

    /// <summary>The one bearer token this stand-in accepts; a test's fake credential hands it out.</summary>
    public string AccessToken { get; } = "kv-standin-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>SHA-256 thumbprint of the server certificate.</summary>
    public string CertificateThumbprint => _certificate.GetCertHashString(HashAlgorithmName.SHA256);

    /// <summary>Page size when a list request has no <c>maxresults</c> (Key Vault's is 25); lower it to exercise paging.</summary>
    public int DefaultPageSize
    {
        get => Volatile.Read(ref _pageSize);
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, MaxPageSize);
            Volatile.Write(ref _pageSize, value);
        }
    }

    /// <summary>While true every request fails with 503 <c>ServiceUnavailable</c> (no Retry-After): a vault outage.</summary>
    public bool Offline
    {
        get => _offline;
        set => _offline = value;
    }

    /// <summary>A snapshot of the requests answered since start or the last <see cref="ClearRequests"/>, in order.</summary>
    public IReadOnlyList<KeyVaultRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    public int RequestCount
    {
        get
        {
            lock (_gate)
            {
                return _requests.Count;
            }
        }
    }

    /// <summary>Starts a stand-in on a free loopback port. <paramref name="clock"/> stamps versions' <c>created</c>
    /// and <c>updated</c> (Key Vault's one-second resolution); the system clock by default.</summary>
    public static async Task<KeyVaultStandIn> StartAsync(TimeProvider? clock = null, CancellationToken ct = default)
    {
        var certificate = CreateCertificate();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(KeyVaultStandIn).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Production,
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
        });

        // The host process's appsettings and environment (ASPNETCORE_URLS, Kestrel:Endpoints, logging) must not leak in.
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(options =>
        {
            options.AddServerHeader = false;
            options.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(certificate));
        });

        var app = builder.Build();
        var standIn = new KeyVaultStandIn(app, certificate, clock ?? TimeProvider.System);
        app.Run(standIn.HandleAsync);
        try
        {
            await app.StartAsync(ct);
            standIn.VaultUri = StandInHosting.BaseUrl(app, "https");
            return standIn;
        }
        catch
        {
            await standIn.DisposeAsync();
            throw;
        }
    }

    /// <summary>An HTTP handler that trusts exactly this stand-in's certificate (for <c>HttpClientTransport</c>).</summary>
    public HttpClientHandler CreateTrustingHandler()
    {
        var thumbprint = CertificateThumbprint;
        return new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
                certificate is not null
                && string.Equals(certificate.GetCertHashString(HashAlgorithmName.SHA256), thumbprint, StringComparison.OrdinalIgnoreCase),
        };
    }

    /// <summary>Adds a version of secret <paramref name="name"/> (created on first use), as an operator would in the
    /// portal, and returns the version id (32 hex characters).</summary>
    public string AddVersion(string name, string value, bool enabled = true, string? contentType = null, DateTimeOffset? createdOn = null)
    {
        ValidateName(name);
        ArgumentNullException.ThrowIfNull(value);
        lock (_gate)
        {
            return Add(name, value, enabled, contentType, createdOn ?? _clock.GetUtcNow()).Version;
        }
    }

    /// <summary>Enables or disables one version (its <c>attributes.enabled</c>).</summary>
    public void SetEnabled(string name, string version, bool enabled)
    {
        lock (_gate)
        {
            var stored = Find(name, version) ?? throw new KeyNotFoundException($"No version '{version}' of secret '{name}'.");
            stored.Enabled = enabled;
            stored.Updated = _clock.GetUtcNow();
        }
    }

    /// <summary>The versions of a secret, oldest first, without values; empty for an unknown secret.</summary>
    public IReadOnlyList<KeyVaultSecretVersion> VersionsOf(string name)
    {
        lock (_gate)
        {
            return _secrets.TryGetValue(name, out var history)
                ? [.. history.Versions.Select(v => new KeyVaultSecretVersion(history.Name, v.Version, v.Enabled, v.ContentType, v.Created, v.Updated))]
                : [];
        }
    }

    /// <summary>
    /// Makes the next <paramref name="count"/> requests fail with <paramref name="status"/> and a Key Vault error body
    /// (429 <c>Throttled</c> with <c>Retry-After</c> in whole seconds, default 1; 500 <c>InternalServerError</c>;
    /// 503 <c>ServiceUnavailable</c>; ...), before authentication. Calls queue up.
    /// </summary>
    public void FailNext(int count, int status, TimeSpan? retryAfter = null)
    {
        _faults.Add(count, status, retryAfter);
    }

    public void ClearRequests()
    {
        lock (_gate)
        {
            _requests.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await StandInHosting.StopAndDisposeAsync(_app);
        _certificate.Dispose();
    }

    // ---------------------------------------------------------------- pipeline

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        var pathAndQuery = string.IsNullOrEmpty(target) ? request.Path.ToString() + request.QueryString.ToString() : target;
        var apiVersion = request.Query.TryGetValue("api-version", out var v) && v.Count > 0 ? v.ToString() : null;
        var auth = Authenticate(request.Headers.Authorization.ToString());
        var receivedAt = DateTimeOffset.UtcNow;

        Reply reply;
        InjectedFault? fault = null;
        if (!_offline)
        {
            lock (_gate)
            {
                fault = _faults.TakeNext();
            }
        }

        if (_offline)
        {
            reply = Reply.Error(503, "ServiceUnavailable", "The service is unavailable. Try again later.");
        }
        else if (fault is not null)
        {
            var (code, message) = FaultError(fault.Status);
            reply = Reply.Error(fault.Status, code, message) with { RetryAfter = fault.RetryAfter };
        }
        else if (auth == KeyVaultRequestAuth.None)
        {
            reply = Challenge("AKV10000: Request is missing a Bearer or PoP token.");
        }
        else if (auth == KeyVaultRequestAuth.Rejected)
        {
            reply = Challenge("AKV10032: The access token is not valid for this vault.");
        }
        else if (apiVersion is null)
        {
            reply = Reply.Error(400, "BadParameter", "The request URI contains an invalid or missing api-version.");
        }
        else
        {
            string body;
            try
            {
                body = await ReadBodyAsync(request, context.RequestAborted);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or BadHttpRequestException)
            {
                context.Abort();
                return;
            }

            try
            {
                reply = Route(request.Method, request.Path.Value ?? "/", request.Query, apiVersion, body);
            }
            catch (KeyVaultError e)
            {
                reply = Reply.Error(e.Status, e.Code, e.Message, e.InnerCode);
            }
        }

        lock (_gate)
        {
            _requests.Add(new KeyVaultRequest(request.Method, pathAndQuery, apiVersion, auth, reply.Status, receivedAt));
        }

        await WriteAsync(context, reply);
    }

    private KeyVaultRequestAuth Authenticate(string authorization)
    {
        if (string.IsNullOrEmpty(authorization))
        {
            return KeyVaultRequestAuth.None;
        }

        const string scheme = "Bearer ";
        return authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)
            && CryptographicOperations.FixedTimeEquals(
                Encoding.UTF8.GetBytes(authorization[scheme.Length..].Trim()),
                Encoding.UTF8.GetBytes(AccessToken))
            ? KeyVaultRequestAuth.Accepted
            : KeyVaultRequestAuth.Rejected;
    }

    private Reply Challenge(string message) =>
        Reply.Error(401, "Unauthorized", message) with
        {
            Challenge = $"Bearer authorization=\"https://login.microsoftonline.com/{TenantId}\", resource=\"{Resource}\"",
        };

    private Reply Route(string method, string path, IQueryCollection query, string apiVersion, string body)
    {
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length is < 2 or > 3 || !string.Equals(segments[0], "secrets", StringComparison.OrdinalIgnoreCase))
        {
            throw new KeyVaultError(404, "NotFound", "The requested resource was not found.");
        }

        var name = Uri.UnescapeDataString(segments[1]);
        if (!IsValidName(name))
        {
            throw new KeyVaultError(400, "BadParameter", "The secret name is invalid: use 1-127 letters, digits and dashes.");
        }

        var isVersions = segments.Length == 3 && string.Equals(segments[2], "versions", StringComparison.OrdinalIgnoreCase);
        return (method, segments.Length) switch
        {
            ("GET", 2) => Ok(GetLatest(name)),
            ("GET", 3) when isVersions => Ok(ListVersions(name, query, apiVersion)),
            ("GET", 3) => Ok(GetVersion(name, segments[2])),
            ("PUT", 2) => Ok(Set(name, body)),
            _ => throw new KeyVaultError(405, "MethodNotAllowed", $"The method {method} is not allowed here."),
        };
    }

    private JsonObject GetLatest(string name)
    {
        lock (_gate)
        {
            var latest = _secrets.TryGetValue(name, out var history) ? history.Versions[^1] : throw SecretNotFound(name);
            return ReadableBundle(history, latest);
        }
    }

    private JsonObject GetVersion(string name, string version)
    {
        lock (_gate)
        {
            var history = _secrets.GetValueOrDefault(name);
            var stored = history is null ? null : Find(name, version);
            return stored is null ? throw SecretNotFound($"{name}/{version}") : ReadableBundle(history!, stored);
        }
    }

    private JsonObject ListVersions(string name, IQueryCollection query, string apiVersion)
    {
        var pageSize = DefaultPageSize;
        if (query.TryGetValue("maxresults", out var max) && max.Count > 0)
        {
            if (!int.TryParse(max.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > MaxPageSize)
            {
                throw new KeyVaultError(400, "BadParameter", $"maxresults must be an integer from 1 to {MaxPageSize}.");
            }
        }

        var offset = 0;
        if (query.TryGetValue("$skiptoken", out var token) && token.Count > 0 && !TryReadSkipToken(token.ToString(), out offset))
        {
            throw new KeyVaultError(400, "BadParameter", "The $skiptoken is invalid.");
        }

        lock (_gate)
        {
            var items = new JsonArray();
            string? nextLink = null;
            if (_secrets.TryGetValue(name, out var history))
            {
                foreach (var stored in history.Versions.Skip(offset).Take(pageSize))
                {
                    items.Add(Properties(history, stored));
                }

                if (offset + pageSize < history.Versions.Count)
                {
                    var skipToken = Convert.ToBase64String(Encoding.UTF8.GetBytes(SkipTokenPrefix + (offset + pageSize).ToString(CultureInfo.InvariantCulture)));
                    nextLink = $"{VaultUri}secrets/{history.Name}/versions?api-version={Uri.EscapeDataString(apiVersion)}"
                        + $"&$skiptoken={Uri.EscapeDataString(skipToken)}&maxresults={pageSize.ToString(CultureInfo.InvariantCulture)}";
                }
            }

            return new JsonObject { ["value"] = items, ["nextLink"] = nextLink };
        }
    }

    private JsonObject Set(string name, string body)
    {
        JsonObject json;
        try
        {
            json = JsonNode.Parse(string.IsNullOrWhiteSpace(body) ? "null" : body) as JsonObject
                ?? throw new KeyVaultError(400, "BadParameter", "The request body must be a JSON object.");
        }
        catch (JsonException)
        {
            throw new KeyVaultError(400, "BadParameter", "The request body is not valid JSON.");
        }

        if (json["value"] is not JsonValue valueNode || !valueNode.TryGetValue<string>(out var value))
        {
            throw new KeyVaultError(400, "BadParameter", "Property 'value' is required and must be a string.");
        }

        if (value.Length > MaxValueLength)
        {
            throw new KeyVaultError(400, "BadParameter", $"The secret value exceeds {MaxValueLength} characters.");
        }

        string? contentType = null;
        if (json["contentType"] is JsonValue ct && !ct.TryGetValue(out contentType))
        {
            throw new KeyVaultError(400, "BadParameter", "Property 'contentType' must be a string.");
        }

        var enabled = true;
        if (json["attributes"] is JsonObject attributes && attributes["enabled"] is JsonValue e && !e.TryGetValue(out enabled))
        {
            throw new KeyVaultError(400, "BadParameter", "Property 'attributes.enabled' must be a boolean.");
        }

        lock (_gate)
        {
            var stored = Add(name, value, enabled, contentType, _clock.GetUtcNow());
            return Bundle(_secrets[name], stored, withValue: true);
        }
    }

    // ---------------------------------------------------------------- state (callers hold _gate)

    private StoredVersion Add(string name, string value, bool enabled, string? contentType, DateTimeOffset createdOn)
    {
        if (!_secrets.TryGetValue(name, out var history))
        {
            history = new SecretHistory(name);
            _secrets.Add(name, history);
        }

        var stored = new StoredVersion(Guid.NewGuid().ToString("N"), value, contentType, createdOn) { Enabled = enabled, Updated = createdOn };
        history.Versions.Add(stored);
        return stored;
    }

    private StoredVersion? Find(string name, string version) =>
        _secrets.TryGetValue(name, out var history)
            ? history.Versions.FirstOrDefault(v => string.Equals(v.Version, version, StringComparison.OrdinalIgnoreCase))
            : null;

    private JsonObject ReadableBundle(SecretHistory history, StoredVersion stored) =>
        stored.Enabled
            ? Bundle(history, stored, withValue: true)
            : throw new KeyVaultError(403, "Forbidden", "Operation get is not allowed on a disabled secret.", "SecretDisabled");

    private JsonObject Bundle(SecretHistory history, StoredVersion stored, bool withValue)
    {
        var bundle = new JsonObject();
        if (withValue)
        {
            bundle["value"] = stored.Value;
        }

        foreach (var (key, node) in Properties(history, stored))
        {
            bundle[key] = node?.DeepClone();
        }

        return bundle;
    }

    private JsonObject Properties(SecretHistory history, StoredVersion stored)
    {
        var properties = new JsonObject();
        if (stored.ContentType is not null)
        {
            properties["contentType"] = stored.ContentType;
        }

        properties["id"] = $"{VaultUri}secrets/{history.Name}/{stored.Version}";
        properties["attributes"] = new JsonObject
        {
            ["enabled"] = stored.Enabled,
            ["created"] = stored.Created.ToUnixTimeSeconds(),
            ["updated"] = stored.Updated.ToUnixTimeSeconds(),
            ["recoveryLevel"] = RecoveryLevel,
            ["recoverableDays"] = 90,
        };
        return properties;
    }

    private static KeyVaultError SecretNotFound(string nameOrId) => new(
        404,
        "SecretNotFound",
        $"A secret with (name/id) {nameOrId} was not found in this key vault. If you recently deleted this secret you may be able "
        + "to recover it using the correct recovery command.");


    // ---------------------------------------------------------------- helpers

    private static bool IsValidName(string name) =>
        name.Length is >= 1 and <= 127 && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');

    private static void ValidateName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!IsValidName(name))
        {
            throw new ArgumentException("A secret name is 1-127 letters, digits and dashes.", nameof(name));
        }
    }

    private static bool TryReadSkipToken(string token, out int offset)
    {
        offset = 0;
        var buffer = new byte[token.Length];
        if (!Convert.TryFromBase64String(token, buffer, out var written))
        {
            return false;
        }

        var text = Encoding.UTF8.GetString(buffer, 0, written);
        return text.StartsWith(SkipTokenPrefix, StringComparison.Ordinal)
            && int.TryParse(text.AsSpan(SkipTokenPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out offset);
    }

    private static Reply Ok(JsonObject body) => new(200, body);

    private static (string Code, string Message) FaultError(int status) => status switch
    {
        400 => ("BadParameter", "The request is invalid."),
        401 => ("Unauthorized", "The request is not authorized."),
        403 => ("Forbidden", "The caller does not have permission to perform this action."),
        404 => ("NotFound", "The requested resource was not found."),
        409 => ("Conflict", "The request conflicts with the current state."),
        429 => ("Throttled", "Request was not processed because too many requests were received. Try again later."),
        503 => ("ServiceUnavailable", "The service is unavailable. Try again later."),
        _ => ("InternalServerError", "An unexpected error occurred."),
    };

    private static async Task<string> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength == 0)
        {
            return "";
        }

        using var reader = new StreamReader(request.Body, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, leaveOpen: true);
        return await reader.ReadToEndAsync(ct);
    }

    private static async Task WriteAsync(HttpContext context, Reply reply)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            reply.Body.WriteTo(writer);
        }

        var response = context.Response;
        response.StatusCode = reply.Status;
        response.ContentType = "application/json; charset=utf-8";
        response.Headers["x-ms-request-id"] = Guid.NewGuid().ToString();
        if (reply.Challenge is not null)
        {
            response.Headers.WWWAuthenticate = reply.Challenge;
        }

        if (reply.RetryAfter is { } wait)
        {
            response.Headers.RetryAfter = ((long)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        response.ContentLength = buffer.WrittenCount;
        try
        {
            await response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The client went away.
        }
    }

    private static X509Certificate2 CreateCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=McpFunctions Key Vault stand-in", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1", "Server Authentication")], false));
        var now = DateTimeOffset.UtcNow;
        using var ephemeral = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));

        // A PKCS#12 round trip gives a certificate whose private key TLS can use on every platform.
        return X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), password: null);
    }

    private sealed class SecretHistory(string name)
    {
        public string Name { get; } = name;

        public List<StoredVersion> Versions { get; } = [];
    }

    private sealed class StoredVersion(string version, string value, string? contentType, DateTimeOffset created)
    {
        public string Version { get; } = version;

        public string Value { get; } = value;

        public string? ContentType { get; } = contentType;

        public DateTimeOffset Created { get; } = created;

        public DateTimeOffset Updated { get; set; }

        public bool Enabled { get; set; }
    }

    private sealed record Reply(int Status, JsonObject Body)
    {
        public string? Challenge { get; init; }

        public TimeSpan? RetryAfter { get; init; }

        public static Reply Error(int status, string code, string message, string? innerCode = null)
        {
            var error = new JsonObject { ["code"] = code, ["message"] = message };
            if (innerCode is not null)
            {
                error["innererror"] = new JsonObject { ["code"] = innerCode };
            }

            return new Reply(status, new JsonObject { ["error"] = error });
        }
    }

    private sealed class KeyVaultError(int status, string code, string message, string? innerCode = null) : Exception(message)
    {
        public int Status { get; } = status;

        public string Code { get; } = code;

        public string? InnerCode { get; } = innerCode;
    }

}
