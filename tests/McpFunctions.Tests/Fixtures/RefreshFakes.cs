using System.Security.Cryptography;
using McpFunctions.Adapters.KeyRing;
using McpFunctions.Core.Connections;
using McpFunctions.Core.Credentials;
using McpFunctions.Core.OAuth;
using McpFunctions.Core.Providers;
using McpFunctions.Core.Telemetry;
using McpFunctions.Http.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace McpFunctions.Tests.Fixtures;

/// <summary><see cref="TokenRefresher"/>, <see cref="RefreshSweep"/> and <see cref="ResolveCredential"/> wired to in-memory
/// fakes (store, token endpoint, events), a local key ring and a manual clock: nothing leaves the process. One per test.</summary>
internal sealed class RefreshFakes : IDisposable
{
    public const string Tenant = "acme";

    /// <summary>An OAuth provider this deployment has a client for; refresh margin 5 minutes.</summary>
    public static readonly ProviderDescriptor OAuthDescriptor = Descriptor("oauthco", "OAuthCo", AuthType.OAuth2, OAuthSettingsOf("oauthco"));

    /// <summary>An OAuth provider in the catalog without a client in this deployment.</summary>
    public static readonly ProviderDescriptor NoClientDescriptor = Descriptor("noclient", "NoClient", AuthType.OAuth2, OAuthSettingsOf("noclient"));

    /// <summary>A provider connected by API key.</summary>
    public static readonly ProviderDescriptor ApiKeyDescriptor = Descriptor("keyco", "KeyCo", AuthType.ApiKey, null);

    /// <summary>A whole second, as the store keeps times.</summary>
    public static readonly DateTimeOffset Start = new(2026, 12, 3, 9, 0, 0, TimeSpan.Zero);

    private readonly TestMeterFactory meters = new();

    /// <param name="logs">Where the three write their logs; nowhere when null.</param>
    public RefreshFakes(RefreshSettings? settings = null, ILoggerFactory? logs = null)
    {
        logs ??= NullLoggerFactory.Instance;
        Settings = settings ?? RefreshSettings.Default;
        Catalog = new ProviderCatalog([OAuthDescriptor, NoClientDescriptor, ApiKeyDescriptor]);
        OAuthProviders = new OAuthProviders(
            Catalog,
            new OAuthClients(new Dictionary<string, OAuthClientCredentials> { [OAuthDescriptor.Id] = new("client-id", "client-secret") }));
        Protector = new CredentialProtector(
            new EnvelopeEncryption(new LocalKeyRing([new KeyEncryptionKey("kek-test", RandomNumberGenerator.GetBytes(KeyEncryptionKey.SizeInBytes))])),
            McpJsonContext.Default.Credential);
        Recorded = new MetricsRecorder(meters);
        Metrics = new McpMetrics(meters);
        Logs = logs;
        Refresher = NewRefresher();
        Sweep = NewSweep();
        Resolver = new ResolveCredential(Store, Protector, OAuthProviders, Refresher, Events, Clock, logs.CreateLogger<ResolveCredential>());
    }

    public ManualTimeProvider Clock { get; } = new(Start);

    public InMemoryConnectionStore Store { get; } = new();

    public FakeTokenEndpoint TokenEndpoint { get; } = new();

    public RecordingConnectionEvents Events { get; } = new();

    public RefreshSettings Settings { get; }

    public ProviderCatalog Catalog { get; }

    public OAuthProviders OAuthProviders { get; }

    public CredentialProtector Protector { get; }

    public MetricsRecorder Recorded { get; }

    public McpMetrics Metrics { get; }

    public ILoggerFactory Logs { get; }

    public TokenRefresher Refresher { get; }

    public RefreshSweep Sweep { get; }

    public ResolveCredential Resolver { get; }

    public OAuthProvider OAuth => OAuthProviders.Get(OAuthDescriptor.Id);

    public DateTimeOffset Now => Clock.GetUtcNow();

    /// <summary>Another refresher over the same store and token endpoint: as on a second instance, with its own in-process flights.</summary>
    public TokenRefresher NewRefresher() =>
        new(Store, Protector, TokenEndpoint, Events, Settings, Clock, Metrics, Logs.CreateLogger<TokenRefresher>());

    /// <summary>A sweep reading through <paramref name="store"/> (e.g. an <see cref="ObservedStore"/> over <see cref="Store"/>).</summary>
    public RefreshSweep NewSweep(IConnectionStore? store = null, TokenRefresher? refresher = null) =>
        new(store ?? Store, refresher ?? Refresher, Catalog, OAuthProviders, Settings, Clock, Metrics, Logs.CreateLogger<RefreshSweep>());

    public static ConnectionKey Key(string user = "user-1", string provider = "oauthco", string account = ConnectionKey.DefaultAccount) =>
        new(Tenant, user, provider, account);

    /// <summary>Stores an active OAuth connection as a completed authorization would, due by the provider's margin.</summary>
    public async Task<StoredConnection> SeedOAuthAsync(
        ConnectionKey key, string accessToken, string? refreshToken, DateTimeOffset? expiresAt, Func<Connection, Connection>? adjust = null)
    {
        var credential = await Protector.ProtectAsync(new Credential(AccessToken: accessToken, RefreshToken: refreshToken, TokenType: "Bearer"), key, CancellationToken.None);
        var connection = new Connection(
            key,
            AuthType.OAuth2,
            ConnectionStatus.Active,
            credential,
            ["read"],
            new Dictionary<string, string>(),
            Start.AddDays(-1),
            ExpiresAt: expiresAt,
            RefreshAfter: RefreshSettings.RefreshAfter(Now, expiresAt, null, refreshToken is not null, OAuth.Settings));
        return Store.Seed(adjust is null ? connection : adjust(connection));
    }

    public async Task<StoredConnection> SeedApiKeyAsync(ConnectionKey key, string apiKey)
    {
        var credential = await Protector.ProtectAsync(new Credential(ApiKey: apiKey), key, CancellationToken.None);
        return Store.Seed(new Connection(key, AuthType.ApiKey, ConnectionStatus.Active, credential, [], new Dictionary<string, string>(), Start.AddDays(-1)));
    }

    /// <summary>A credential sealed for <paramref name="key"/>, to put into a document.</summary>
    public Task<EncryptedCredential> SealAsync(Credential credential, ConnectionKey key) => Protector.ProtectAsync(credential, key, CancellationToken.None);

    /// <summary>The stored connection and its decrypted credential as they are now.</summary>
    public async Task<(Connection Connection, Credential Credential)> StoredAsync(ConnectionKey key)
    {
        var stored = Store.Current(key) ?? throw new InvalidOperationException("The connection is not stored.");
        return (stored.Connection, await Protector.UnprotectAsync(stored.Connection.Credential, key, CancellationToken.None));
    }

    /// <summary>The refresh counts recorded, as <c>trigger:outcome</c>.</summary>
    public IReadOnlyList<string> RefreshesCounted =>
        [.. Recorded.Of("mcpfunctions.token.refreshes").Select(m => $"{m.Tag("trigger")}:{m.Tag("outcome")}")];

    /// <summary>The deferrals recorded, as <c>provider:reason</c>.</summary>
    public IReadOnlyList<string> DeferralsCounted =>
        [.. Recorded.Of("mcpfunctions.token.deferrals").Select(m => $"{m.Tag("provider")}:{m.Tag("reason")}").Order(StringComparer.Ordinal)];

    public void Dispose()
    {
        Recorded.Dispose();
        meters.Dispose();
    }

    private static OAuthSettings OAuthSettingsOf(string id) =>
        new($"https://{id}.example/oauth/authorize", $"https://{id}.example/oauth/token", RefreshMarginSeconds: 300);

    private static ProviderDescriptor Descriptor(string id, string displayName, AuthType type, OAuthSettings? oauth) => new(
        id,
        displayName,
        new ProviderAuth(type, Identity: null, ConnectHint: null, oauth),
        new ProviderApi(new Uri($"https://api.{id}.example"), new AuthHeaderTemplate("Authorization", "Bearer {token}"), Headers: null),
        []);
}
