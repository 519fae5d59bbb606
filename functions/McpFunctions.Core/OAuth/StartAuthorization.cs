using System.Text;
using McpFunctions.Core.Connections;
using McpFunctions.Core.Credentials;
using McpFunctions.Core.Errors;
using Microsoft.Extensions.Logging;

namespace McpFunctions.Core.OAuth;

/// <summary>Use case: begin connecting a user's account by OAuth: mint the state, keep the PKCE verifier, build the provider's URL.</summary>
public sealed class StartAuthorization(
    OAuthProviders providers,
    IOAuthStateStore states,
    EnvelopeEncryption encryption,
    OAuthFlowSettings settings,
    TimeProvider clock,
    ILogger<StartAuthorization> logger)
{
    public const int MaxScopes = 50;
    public const int MaxScopeLength = 200;

    /// <param name="returnUrl">Null means the configured default (flows started from a tool call).</param>
    /// <param name="scopes">Null or empty means the catalog's default scopes.</param>
    public async Task<AuthorizationStart> ExecuteAsync(
        Caller caller, string providerId, string? account, Uri? returnUrl, IReadOnlyList<string>? scopes, CancellationToken cancellationToken)
    {
        var provider = providers.Get(providerId);
        var accountName = AccountName.Normalize(account);
        var target = returnUrl ?? settings.DefaultReturnUrl
            ?? throw new McpFunctionsException(ErrorCode.ValidationError, "return_url is required (this deployment has no OAuth__DefaultReturnUrl).");
        if (!settings.Allows(target))
        {
            throw new McpFunctionsException(ErrorCode.ReturnUrlNotAllowed, "return_url is not on this deployment's allowlist (OAuth__ReturnUrlAllowlist).");
        }

        var requested = ValidateScopes(scopes) ?? provider.Settings.Scopes ?? [];
        var state = OneTimeCode.New();
        var verifier = provider.Settings.Pkce ? OneTimeCode.New() : null;
        var key = caller.KeyFor(provider.Id, accountName);
        var now = clock.GetUtcNow();
        var record = new OAuthState(
            OneTimeCode.Hash(state),
            caller.TenantId,
            caller.UserId,
            provider.Id,
            accountName,
            verifier is null ? null : await encryption.SealAsync(Encoding.ASCII.GetBytes(verifier), key, cancellationToken),
            target,
            requested,
            now,
            now + settings.StateLifetime);
        await states.SaveStateAsync(record, cancellationToken);
        logger.LogInformation("Started OAuth for {Provider} account {Account}; state expires at {ExpiresAt:o}", provider.Id, accountName, record.ExpiresAt);
        return new AuthorizationStart(AuthorizationUrl(provider, state, verifier, requested), record.ExpiresAt);
    }

    private Uri AuthorizationUrl(OAuthProvider provider, string state, string? verifier, IReadOnlyList<string> scopes)
    {
        var query = new List<KeyValuePair<string, string>>
        {
            new("response_type", "code"),
            new("client_id", provider.Client.ClientId),
            new("redirect_uri", settings.CallbackUrl.ToString()),
            new("state", state),
        };
        if (scopes.Count > 0)
        {
            query.Add(new("scope", string.Join(' ', scopes)));
        }

        if (verifier is not null)
        {
            query.Add(new("code_challenge", OneTimeCode.Challenge(verifier)));
            query.Add(new("code_challenge_method", "S256"));
        }

        foreach (var (name, value) in provider.Settings.AuthorizeParameters ?? new Dictionary<string, string>())
        {
            query.Add(new(name, value));
        }

        var endpoint = provider.AuthorizeEndpoint.ToString();
        var separator = endpoint.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        return new Uri(endpoint + separator + string.Join('&', query.Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value)}")));
    }

    private static IReadOnlyList<string>? ValidateScopes(IReadOnlyList<string>? scopes)
    {
        if (scopes is null || scopes.Count == 0)
        {
            return null;
        }

        if (scopes.Count > MaxScopes || scopes.Any(s => string.IsNullOrEmpty(s) || s.Length > MaxScopeLength || s.Any(c => c <= ' ' || c > '~' || c is '"' or '\\')))
        {
            throw new McpFunctionsException(ErrorCode.ValidationError, $"scopes must be at most {MaxScopes} non-empty scope tokens (RFC 6749 §3.3: printable ASCII, no spaces, quotes or backslashes).");
        }

        return [.. scopes.Distinct(StringComparer.Ordinal)];
    }
}

/// <summary>Where to send the user's browser, and until when that link works.</summary>
public sealed record AuthorizationStart(Uri AuthorizationUrl, DateTimeOffset ExpiresAt);
