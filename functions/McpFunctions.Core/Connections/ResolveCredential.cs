using McpFunctions.Core.Credentials;
using McpFunctions.Core.Errors;
using McpFunctions.Core.Events;
using McpFunctions.Core.OAuth;
using McpFunctions.Core.Providers;
using Microsoft.Extensions.Logging;

namespace McpFunctions.Core.Connections;

/// <summary>Use case: the credential a tool call of this user should use at this provider, decrypted.</summary>
/// <remarks>OAuth tokens about to expire are refreshed first (see <see cref="TokenRefresher"/>), so a call
/// never starts with a token that has less than the provider's margin left.</remarks>
public sealed class ResolveCredential(
    IConnectionStore store,
    CredentialProtector protector,
    OAuthProviders oauthProviders,
    TokenRefresher refresher,
    IConnectionEvents events,
    TimeProvider clock,
    ILogger<ResolveCredential> logger)
{
    /// <summary><c>lastUsedAt</c> is written at most this often per connection: a write per call would cost RUs and contention.</summary>
    public static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    /// <summary>Finds the connection: the named account, else <c>default</c>, else the only account there is.</summary>
    public async Task<ResolvedCredential> ExecuteAsync(Caller caller, ProviderDescriptor provider, string? account, CancellationToken cancellationToken)
    {
        var stored = await FindAsync(caller, provider, account, cancellationToken)
            ?? throw NotConnected(provider, account);
        var connection = stored.Connection;
        if (connection.Status != ConnectionStatus.Active)
        {
            throw new McpFunctionsException(
                ErrorCode.NeedsReauth,
                $"{provider.DisplayName} connection '{connection.Key.Account}' needs to be reconnected ({StatusText(connection.Status)}). {HowToConnect(provider)}");
        }

        if (connection.AuthType == AuthType.OAuth2 && oauthProviders.Find(provider) is { } oauth && refresher.IsExpiring(connection, oauth))
        {
            var outcome = await refresher.RefreshExpiringAsync(oauth, connection.Key, cancellationToken);
            return outcome.Result switch
            {
                RefreshResult.Refreshed => new ResolvedCredential(outcome.Stored!, outcome.Credential!),
                RefreshResult.NotNeeded => await OpenAsync(outcome.Stored!, cancellationToken),
                RefreshResult.Unavailable when outcome.Stored!.Connection.ExpiresAt > clock.GetUtcNow() => await OpenAsync(outcome.Stored, cancellationToken),
                RefreshResult.Unavailable => throw new McpFunctionsException(
                    ErrorCode.RefreshUnavailable,
                    $"The {provider.DisplayName} token has expired and refreshing it failed ({outcome.Reason}); retry after {outcome.Stored.Connection.NextRefreshAttemptAt:u}."),
                RefreshResult.NeedsReauth => throw ReauthRequired(provider, connection.Key.Account, outcome.Reason),
                _ => throw NotConnected(provider, account),
            };
        }

        return await OpenAsync(stored, cancellationToken);
    }

    /// <summary>After the provider answered 401 to <paramref name="used"/>: a refreshed credential to retry once with, or null.</summary>
    public async Task<ResolvedCredential?> RenewRejectedAsync(ProviderDescriptor provider, ResolvedCredential used, CancellationToken cancellationToken)
    {
        if (used.Stored.Connection.AuthType != AuthType.OAuth2 || oauthProviders.Find(provider) is not { } oauth)
        {
            return null;
        }

        var outcome = await refresher.RefreshRejectedAsync(oauth, used.Stored, cancellationToken);
        return outcome.Result switch
        {
            RefreshResult.Refreshed => new ResolvedCredential(outcome.Stored!, outcome.Credential!),
            // Someone else replaced the rejected credential meanwhile: use theirs.
            RefreshResult.NotNeeded when outcome.Stored!.Connection.Status == ConnectionStatus.Active
                && outcome.Stored.Connection.Credential != used.Stored.Connection.Credential => await OpenAsync(outcome.Stored, cancellationToken),
            RefreshResult.NeedsReauth => throw ReauthRequired(provider, used.Stored.Connection.Key.Account, outcome.Reason),
            _ => null,
        };
    }

    private async Task<ResolvedCredential> OpenAsync(StoredConnection stored, CancellationToken cancellationToken)
    {
        var connection = stored.Connection;
        try
        {
            var credential = await protector.UnprotectAsync(connection.Credential, connection.Key, cancellationToken);
            return new ResolvedCredential(stored, credential);
        }
        catch (McpFunctionsException ex) when (ex.Code == ErrorCode.CredentialDecryptFailed)
        {
            logger.LogError(
                "Stored credential for {Provider} account {Account} failed to decrypt under key {KeyId}",
                connection.Key.Provider, connection.Key.Account, connection.Credential.KeyId);
            throw;
        }
    }

    /// <summary>Records use, at most once per <see cref="LastUsedResolution"/>; concurrent writers simply skip.</summary>
    public async Task TouchAsync(StoredConnection stored, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        if (!IsStale(stored.Connection.LastUsedAt, now))
        {
            return;
        }

        var touched = stored.Connection with { LastUsedAt = now };
        try
        {
            if (await store.TryReplaceAsync(touched, stored.ETag, cancellationToken) is null)
            {
                // Lost a race: someone else wrote the document (maybe this very timestamp); use is approximate by design.
                logger.LogDebug("Skipped lastUsedAt for {Provider} account {Account}: document changed", stored.Connection.Key.Provider, stored.Connection.Key.Account);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Bookkeeping only: a storage hiccup here must not fail a tool call that already succeeded.
            logger.LogWarning(ex, "Could not record lastUsedAt for {Provider} account {Account}", stored.Connection.Key.Provider, stored.Connection.Key.Account);
        }
    }

    /// <summary>The provider refused the stored credential: mark the connection, unless it was replaced meanwhile.</summary>
    public async Task MarkRejectedAsync(StoredConnection used, CancellationToken cancellationToken)
    {
        StoredConnection? marked;
        try
        {
            marked = await store.UpdateAsync(
                used.Connection.Key,
                current => current.Credential == used.Connection.Credential && current.Status == ConnectionStatus.Active
                    ? current with { Status = ConnectionStatus.NeedsReauth }
                    : null,
                cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The caller still learns of the rejection from the provider's 401; the mark is retried on the next 401.
            logger.LogWarning(ex, "Could not mark {Provider} account {Account} needs_reauth", used.Connection.Key.Provider, used.Connection.Key.Account);
            return;
        }

        if (marked is not null)
        {
            var key = used.Connection.Key;
            logger.LogWarning("{Provider} rejected the stored credential of account {Account}: marked needs_reauth", key.Provider, key.Account);
            await events.PublishAsync(
                ConnectionEvent.Of(ConnectionEventTypes.NeedsReauth, key, clock.GetUtcNow(), "provider_rejected_credential"),
                cancellationToken);
        }
    }

    public static string HowToConnect(ProviderDescriptor provider) =>
        provider.Auth.ConnectHint ?? (provider.Auth.Type == AuthType.ApiKey
            ? $"Connect it with POST /api/mcp/{provider.Id}/connect and body {{\"api_key\": \"...\"}}."
            : $"Connect it with POST /api/mcp/{provider.Id}/authorize.");

    private async Task<StoredConnection?> FindAsync(Caller caller, ProviderDescriptor provider, string? account, CancellationToken cancellationToken)
    {
        var named = AccountName.Normalize(account);
        var stored = await store.ReadAsync(caller.KeyFor(provider.Id, named), cancellationToken);
        if (stored is not null || account is not null)
        {
            return stored;
        }

        // No "default" account: a user with exactly one account at this provider means that one.
        var all = await store.ListAsync(caller.TenantId, caller.UserId, cancellationToken);
        var atProvider = all.Where(s => s.Connection.Key.Provider == provider.Id).ToList();
        return atProvider.Count == 1 ? atProvider[0] : null;
    }

    private static bool IsStale(DateTimeOffset? lastUsedAt, DateTimeOffset now) =>
        lastUsedAt is null || now - lastUsedAt.Value >= LastUsedResolution;

    private static string StatusText(ConnectionStatus status) => status switch
    {
        ConnectionStatus.NeedsReauth => "the provider no longer accepts the stored credential",
        ConnectionStatus.Revoked => "it was revoked",
        _ => status.ToString(),
    };

    private static McpFunctionsException ReauthRequired(ProviderDescriptor provider, string account, string? reason) =>
        new(ErrorCode.NeedsReauth, $"{provider.DisplayName} connection '{account}' needs to be reconnected ({reason ?? "the provider refused the refresh"}). {HowToConnect(provider)}");

    private static McpFunctionsException NotConnected(ProviderDescriptor provider, string? account) =>
        new(ErrorCode.NotConnected, $"{provider.DisplayName} not connected{(account is null ? "" : $" (account '{account}')")}. {HowToConnect(provider)}");
}

/// <summary>A connection with its decrypted credential; the plaintext lives only as long as the call.</summary>
public sealed record ResolvedCredential(StoredConnection Stored, Credential Credential);
