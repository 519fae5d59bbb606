namespace McpFunctions.Core.Providers;

/// <summary>How a provider runs the OAuth 2.0 authorization code flow and refreshes its tokens (catalog <c>auth.oauth</c>).</summary>
/// <param name="AuthorizeUrl">Absolute URL, or a path under <c>api.baseUrl</c> for providers whose host is per customer (Qlik Cloud's tenant).</param>
/// <param name="TokenUrl">Absolute URL or a path under <c>api.baseUrl</c>.</param>
/// <param name="Revocation">How disconnect revokes at the provider; null when the provider offers no revocation.</param>
/// <param name="Pkce">Send a PKCE S256 challenge (true unless the provider rejects PKCE).</param>
/// <param name="ClientAuth"><c>client_secret_basic</c> or <c>client_secret_post</c> at the token endpoint.</param>
/// <param name="TokenRequestFormat"><c>form</c> (RFC 6749) or <c>json</c> (Notion documents a JSON body).</param>
/// <param name="Scopes">Scopes requested when the caller names none.</param>
/// <param name="AuthorizeParameters">Fixed extra query parameters of the authorization request (e.g. Notion's <c>owner=user</c>).</param>
/// <param name="TokenMetadata">Metadata name → dotted path into the token response (e.g. Notion's <c>workspace_name</c>).</param>
/// <param name="InvalidGrantErrors">Token-endpoint <c>error</c> values meaning "this grant is dead, the user must reconnect".</param>
/// <param name="RefreshMarginSeconds">Refresh when less than this is left on the access token.</param>
/// <param name="RefreshTokenIdleDays">A refresh token unused this long lapses at the provider; refresh before that even if nobody calls.</param>
public sealed record OAuthSettings(
    string AuthorizeUrl,
    string TokenUrl,
    OAuthRevocation? Revocation = null,
    bool Pkce = true,
    string ClientAuth = OAuthSettings.ClientSecretBasic,
    string TokenRequestFormat = OAuthSettings.FormFormat,
    IReadOnlyList<string>? Scopes = null,
    IReadOnlyDictionary<string, string>? AuthorizeParameters = null,
    IReadOnlyDictionary<string, string>? TokenMetadata = null,
    IReadOnlyList<string>? InvalidGrantErrors = null,
    int RefreshMarginSeconds = 300,
    int? RefreshTokenIdleDays = null)
{
    public const string ClientSecretBasic = "client_secret_basic";
    public const string ClientSecretPost = "client_secret_post";
    public const string FormFormat = "form";
    public const string JsonFormat = "json";

    public TimeSpan RefreshMargin => TimeSpan.FromSeconds(RefreshMarginSeconds);

    public bool IsInvalidGrant(string? error) =>
        error is not null && (InvalidGrantErrors ?? ["invalid_grant"]).Contains(error, StringComparer.Ordinal);

    /// <summary>An absolute URL as is; a path resolved under the provider's (possibly overridden) API base URL.</summary>
    public static Uri Resolve(string url, Uri baseUrl) =>
        url.StartsWith('/') ? new Uri(baseUrl, url) : new Uri(url, UriKind.Absolute);
}

/// <summary>A provider's token revocation endpoint and the dialect it speaks.</summary>
/// <param name="Style"><c>rfc7009</c> (form <c>token</c> + <c>token_type_hint</c>, client auth as at the token endpoint),
/// <c>json_token</c> (Notion: JSON <c>{"token"}</c>, HTTP Basic), or <c>github_grant</c> (DELETE with JSON <c>{"access_token"}</c>,
/// HTTP Basic; <c>{client_id}</c> in the URL is replaced).</param>
public sealed record OAuthRevocation(string Url, string Style = OAuthRevocation.Rfc7009)
{
    public const string Rfc7009 = "rfc7009";
    public const string JsonToken = "json_token";
    public const string GitHubGrant = "github_grant";
}
