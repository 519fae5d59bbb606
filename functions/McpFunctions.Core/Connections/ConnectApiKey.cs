using System.Text.Json;
using McpFunctions.Core.Credentials;
using McpFunctions.Core.Errors;
using McpFunctions.Core.Events;
using McpFunctions.Core.Providers;
using Microsoft.Extensions.Logging;

namespace McpFunctions.Core.Connections;

/// <summary>Use case: connect a user's API key to a provider, after the provider has accepted it.</summary>
public sealed class ConnectApiKey(
    ProviderCatalog catalog,
    IProviderClient providers,
    CredentialProtector protector,
    IConnectionStore store,
    IConnectionEvents events,
    TimeProvider clock,
    ILogger<ConnectApiKey> logger)
{
    /// <summary>Longer than any real provider key; bounds what we encrypt and send.</summary>
    public const int MaxKeyLength = 4096;

    public async Task<Connection> ExecuteAsync(Caller caller, string providerId, string? apiKey, string? account, CancellationToken cancellationToken)
    {
        var provider = catalog.Get(providerId);
        if (provider.Auth.Type != AuthType.ApiKey)
        {
            throw new McpFunctionsException(ErrorCode.ValidationError, $"{provider.DisplayName} connects by OAuth, not by API key: use POST /api/mcp/{provider.Id}/authorize.");
        }

        var key = caller.KeyFor(provider.Id, AccountName.Normalize(account));
        ValidateKey(apiKey);

        var metadata = await VerifyAsync(provider, key.TenantId, apiKey!, cancellationToken);
        var sealedKey = await protector.ProtectAsync(new Credential(ApiKey: apiKey), key, cancellationToken);
        var connection = new Connection(
            key, AuthType.ApiKey, ConnectionStatus.Active, sealedKey, Scopes: [], metadata, ConnectedAt: clock.GetUtcNow());
        var stored = await store.PutAsync(connection, cancellationToken);
        logger.LogInformation("Connected {Provider} account {Account} by API key", provider.Id, key.Account);
        await events.PublishAsync(
            ConnectionEvent.Of(ConnectionEventTypes.Created, key, clock.GetUtcNow(), "api_key"),
            cancellationToken);
        return stored.Connection;
    }

    private static void ValidateKey(string? apiKey)
    {
        if (string.IsNullOrWhiteSpace(apiKey))
        {
            throw new McpFunctionsException(ErrorCode.ValidationError, "api_key is required and must not be empty.");
        }

        // The key travels in an HTTP header, which carries visible ASCII only: refused here, before any request, so a key
        // that could never be sent is the caller's error and never counted as a provider failure.
        if (apiKey.Length > MaxKeyLength || apiKey.Any(c => c is < '!' or > '~'))
        {
            throw new McpFunctionsException(ErrorCode.ValidationError, $"api_key must be at most {MaxKeyLength} characters of visible ASCII (no spaces, control or non-ASCII characters).");
        }
    }

    /// <summary>Asks the provider whether the key works (its cheapest identity call) and keeps the metadata it names.</summary>
    private async Task<IReadOnlyDictionary<string, string>> VerifyAsync(ProviderDescriptor provider, string tenant, string apiKey, CancellationToken cancellationToken)
    {
        if (provider.Auth.Identity is not { } identity)
        {
            return new Dictionary<string, string>();
        }

        var reply = await providers.SendAsync(provider, tenant, new ProviderCall(identity.Method, identity.Path), apiKey, cancellationToken);
        if (reply.Status is 401 or 403)
        {
            throw new McpFunctionsException(
                ErrorCode.ProviderRejectedCredential,
                $"{provider.DisplayName} rejected the API key: {ProviderErrorText.From(reply, apiKey)}",
                reply.Status);
        }

        if (!reply.IsSuccess)
        {
            throw new McpFunctionsException(
                ErrorCode.ProviderError,
                $"{provider.DisplayName} could not verify the API key (HTTP {reply.Status}): {ProviderErrorText.From(reply, apiKey)}",
                reply.Status);
        }

        return ExtractMetadata(reply, identity.Metadata);
    }

    private static Dictionary<string, string> ExtractMetadata(ProviderReply reply, IReadOnlyDictionary<string, string>? paths)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (paths is null || paths.Count == 0)
        {
            return metadata;
        }

        try
        {
            using var document = JsonDocument.Parse(reply.Body);
            foreach (var (name, path) in paths)
            {
                if (JsonPath.Find(document.RootElement, path) is { ValueKind: JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False } value)
                {
                    metadata[name] = value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
                }
            }
        }
        catch (JsonException)
        {
            // A 2xx identity reply that is not JSON still proves the key works; it only carries no metadata.
        }

        return metadata;
    }
}
