using McpFunctions.Core.Connections;
using McpFunctions.Core.Errors;
using McpFunctions.Core.Events;
using Microsoft.Extensions.Logging;

namespace McpFunctions.Core.OAuth;

/// <summary>Use case: the chat backend confirms, with the user's own token, a connection the callback parked.</summary>
/// <remarks>Binds the browser's login to the user who started it: a completion code that reaches another user
/// (a forwarded link, a phished click) activates nothing for them, and is not burnt by their attempt.</remarks>
public sealed class CompleteConnection(
    OAuthProviders providers,
    IOAuthStateStore states,
    IConnectionStore store,
    IConnectionEvents events,
    TimeProvider clock,
    ILogger<CompleteConnection> logger)
{
    public async Task<Connection> ExecuteAsync(Caller caller, string providerId, string? completionCode, CancellationToken cancellationToken)
    {
        var provider = providers.Get(providerId);
        if (!OneTimeCode.IsWellFormed(completionCode))
        {
            throw new McpFunctionsException(ErrorCode.ValidationError, "code must be the completion code from the return URL (43 characters).");
        }

        var id = OneTimeCode.Hash(completionCode!);
        var pending = await states.ReadPendingAsync(id, cancellationToken);
        var now = clock.GetUtcNow();
        if (pending is null || pending.CompleteBy <= now
            || pending.TenantId != caller.TenantId || pending.UserId != caller.UserId || pending.Provider != provider.Id)
        {
            logger.LogWarning(
                "Completion refused: {Reason}",
                pending is null ? "unknown or used code" : pending.CompleteBy <= now ? "expired" : "the code belongs to another user or provider");
            throw Invalid();
        }

        // Deleting is the single-use check: of two racing completions, one deletes and the other finds nothing.
        if (!await states.TryDeletePendingAsync(id, cancellationToken))
        {
            throw Invalid();
        }

        var key = caller.KeyFor(provider.Id, pending.Account);
        var connection = new Connection(
            key,
            AuthType.OAuth2,
            ConnectionStatus.Active,
            pending.Credential,
            pending.Scopes,
            pending.Metadata,
            ConnectedAt: now,
            ExpiresAt: pending.ExpiresAt,
            RefreshAfter: pending.RefreshAfter,
            LastRefreshedAt: pending.CreatedAt,
            RefreshTokenExpiresAt: pending.RefreshTokenExpiresAt);
        var stored = await store.PutAsync(connection, cancellationToken);
        logger.LogInformation("Completed OAuth connection of {Provider} account {Account}", provider.Id, key.Account);
        await events.PublishAsync(OAuthConnection.CreatedEvent(key, clock), cancellationToken);
        return stored.Connection;
    }

    private static McpFunctionsException Invalid() =>
        new(ErrorCode.OauthStateInvalid, "The completion code is unknown, already used, expired, or not yours. Start connecting again.");
}
