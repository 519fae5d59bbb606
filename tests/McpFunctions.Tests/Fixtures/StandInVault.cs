using System.Collections.Concurrent;
using System.Security.Cryptography;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Security.KeyVault.Secrets;
using McpFunctions.Adapters.KeyRing;
using McpFunctions.Core.Credentials;
using McpFunctions.StandIns.KeyVault;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace McpFunctions.Tests.Fixtures;

/// <summary>The Key Vault stand-in with one key-encryption secret, and key rings that reach it through the real
/// <see cref="SecretClient"/> (its retry policy shortened so that fault tests stay quick).</summary>
public sealed class StandInVault : IAsyncDisposable
{
    public const string SecretName = "mcp-kek";

    private readonly ConcurrentDictionary<string, byte[]> materials = new(StringComparer.Ordinal);
    private readonly ConcurrentBag<IDisposable> disposables = [];

    private StandInVault(KeyVaultStandIn server)
    {
        Server = server;
    }

    public KeyVaultStandIn Server { get; }

    public static async Task<StandInVault> StartAsync(TimeProvider? clock = null) => new(await KeyVaultStandIn.StartAsync(clock));

    public static string KeyIdOf(string version) => KeyVaultKeyRing.KeyIdFor(SecretName, version);

    /// <summary>Adds a random 32-byte version, as an operator would in the portal; returns its key id.</summary>
    public string AddVersion(DateTimeOffset? createdOn = null, bool enabled = true)
    {
        var material = RandomNumberGenerator.GetBytes(KeyEncryptionKey.SizeInBytes);
        var version = Server.AddVersion(SecretName, Convert.ToBase64String(material), enabled, KeyVaultKeyRing.SecretContentType, createdOn);
        var keyId = KeyIdOf(version);
        materials[keyId] = material;
        return keyId;
    }

    /// <summary>The material of a version this fixture added, for sealing records "by another instance".</summary>
    public KeyEncryptionKey KeyOf(string keyId) => new(keyId, materials[keyId]);

    public static string VersionOf(string keyId) => keyId[(keyId.LastIndexOf('/') + 1)..];

    public void Disable(string keyId) => Server.SetEnabled(SecretName, VersionOf(keyId), enabled: false);

    public KeyVaultKeyRing NewRing(TimeProvider clock, ILogger logger, TimeSpan? refreshInterval = null)
    {
        var options = KeyVaultKeyRing.CreateClientOptions();
        options.Retry.Delay = TimeSpan.FromMilliseconds(10);
        options.Retry.MaxDelay = TimeSpan.FromMilliseconds(50);
        options.DisableChallengeResourceVerification = true;
        var http = new HttpClient(Server.CreateTrustingHandler());
        disposables.Add(http);
        options.Transport = new HttpClientTransport(http);
        var client = new SecretClient(Server.VaultUri, new StaticTokenCredential(Server.AccessToken), options);
        return new KeyVaultKeyRing(client, SecretName, clock, logger, refreshInterval);
    }

    /// <summary>Host settings for <c>KeyRing:Source=KeyVault</c> pointing at this vault.</summary>
    public void Configure(IDictionary<string, string?> settings)
    {
        settings["KeyRing:Source"] = "KeyVault";
        settings["KEY_VAULT:vaultUri"] = Server.VaultUri.ToString();
        settings["KEY_VAULT:secretName"] = SecretName;
    }

    /// <summary>Swaps the host's Key Vault ring (DefaultAzureCredential, public TLS) for one that reaches this stand-in.</summary>
    public void ReplaceKeyRing(IServiceCollection services)
    {
        services.RemoveAll<IKeyRing>();
        services.AddSingleton<IKeyRing>(sp => NewRing(
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger<KeyVaultKeyRing>()));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var disposable in disposables)
        {
            disposable.Dispose();
        }

        await Server.DisposeAsync();
    }

    /// <summary>Hands out the one token the stand-in accepts (the stand-in, not Entra ID, is under test).</summary>
    private sealed class StaticTokenCredential(string token) : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            new(token, DateTimeOffset.UtcNow.AddHours(1));

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }
}
