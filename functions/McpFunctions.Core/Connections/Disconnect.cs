using McpFunctions.Core.Credentials;
using McpFunctions.Core.Errors;
using McpFunctions.Core.Events;
using McpFunctions.Core.OAuth;
using McpFunctions.Core.Providers;
using Microsoft.Extensions.Logging;

namespace McpFunctions.Core.Connections;

/// <summary>Use case: remove a user's connection, revoking its tokens at the provider first where the provider allows.
/// Idempotent: disconnecting twice is not an error.</summary>
/// <remarks>The connection is deleted whatever the revocation's outcome: a user who disconnects expects us to
/// forget the credential even when the provider is down; the result says which happened.</remarks>
public sealed class Disconnect(
    ProviderCatalog catalog,
    OAuthProviders oauthProviders,
    IConnectionStore store,
    CredentialProtector protector,
    ITokenEndpoint tokenEndpoint,
    IConnectionEvents events,
    TimeProvider clock,
    ILogger<Disconnect> logger)
{
    public async Task<DisconnectResult> ExecuteAsync(Caller caller, string providerId, string? account, CancellationToken cancellationToken)
    {
        var provider = catalog.Get(providerId);
        var key = caller.KeyFor(provider.Id, AccountName.Normalize(account));
        // The newest version: a cached one could hold a refresh token another instance has already rotated away.
        var stored = await store.ReadLatestAsync(key, cancellationToken);
        var revocation = stored is null ? Revocation.NotApplicable : await RevokeAsync(provider, stored.Connection, cancellationToken);
        var existed = await store.DeleteAsync(key, cancellationToken);
        logger.LogInformation(
            "Disconnect {Provider} account {Account}: {Outcome}, revocation {Revocation}", provider.Id, key.Account, existed ? "deleted" : "was not connected", revocation);
        if (existed)
        {
            await events.PublishAsync(
                ConnectionEvent.Of(ConnectionEventTypes.Deleted, key, clock.GetUtcNow(), $"revocation:{revocation}"),
                cancellationToken);
        }

        return new DisconnectResult(provider.Id, key.Account, existed, existed ? revocation : Revocation.NotApplicable);
    }

    private async Task<string> RevokeAsync(ProviderDescriptor provider, Connection connection, CancellationToken cancellationToken)
    {
        if (connection.AuthType != AuthType.OAuth2)
        {
            // An API key belongs to the user's own integration at the provider; only they can revoke it there.
            return Revocation.NotApplicable;
        }

        if (oauthProviders.Find(provider) is not { } oauth || oauth.Settings.Revocation is null)
        {
            return Revocation.NotSupported;
        }

        Credential credential;
        try
        {
            credential = await protector.UnprotectAsync(connection.Credential, connection.Key, cancellationToken);
        }
        catch (McpFunctionsException ex) when (ex.Code == ErrorCode.CredentialDecryptFailed)
        {
            return Revocation.Failed;
        }

        return await tokenEndpoint.RevokeAsync(oauth.Descriptor, oauth.Client, credential, cancellationToken) switch
        {
            RevocationOutcome.Revoked => Revocation.Revoked,
            RevocationOutcome.NotSupported => Revocation.NotSupported,
            _ => Revocation.Failed,
        };
    }
}

/// <param name="Existed">Whether there was a connection to delete.</param>
/// <param name="Revocation">One of <see cref="Revocation"/>'s values.</param>
public sealed record DisconnectResult(string Provider, string Account, bool Existed, string Revocation);

/// <summary>What disconnect did at the provider.</summary>
public static class Revocation
{
    /// <summary>The provider confirmed the tokens are revoked.</summary>
    public const string Revoked = "revoked";

    /// <summary>The provider could not be reached or refused; the tokens may still be valid there until they expire.</summary>
    public const string Failed = "failed";

    /// <summary>The provider offers no revocation we can call.</summary>
    public const string NotSupported = "not_supported";

    /// <summary>Nothing to revoke: not connected, or an API key the user manages at the provider.</summary>
    public const string NotApplicable = "not_applicable";
}
