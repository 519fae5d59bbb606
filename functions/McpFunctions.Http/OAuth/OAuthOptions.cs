using McpFunctions.Core.Configuration;
using McpFunctions.Core.Security;

namespace McpFunctions.Http.OAuth;

/// <summary>Settings of section <c>OAuth</c> (environment <c>OAuth__CallbackUrl</c>, <c>OAuth__ReturnUrlAllowlist__0</c>, ...).</summary>
public sealed class OAuthOptions : IValidatedOptions
{
    public const string Section = "OAuth";

    /// <summary>Our redirect URI as registered at the providers. Default: <c>Mcp:PublicBaseUrl</c> + <c>/api/oauth/callback</c>.</summary>
    public Uri? CallbackUrl { get; set; }

    /// <summary>Where finished flows may return: exact URLs, or prefixes ending in <c>/</c>. Required in Production once a provider has a client.</summary>
    public IList<Uri> ReturnUrlAllowlist { get; } = [];

    /// <summary>Return URL of flows started from a tool call (URL elicitation); must be on the allowlist.</summary>
    public Uri? DefaultReturnUrl { get; set; }

    /// <summary>The callback parks the tokens until the chat backend calls <c>complete</c> for the same user (default on).</summary>
    public bool RequireCompletion { get; set; } = true;

    public int StateLifetimeMinutes { get; set; } = 10;

    public int CompletionLifetimeMinutes { get; set; } = 10;

    /// <remarks>Checks that need other sections (a callback URL once a client exists, the allowlist outside Development)
    /// are made where those are known, when the flow settings are composed.</remarks>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (StateLifetimeMinutes is < 1 or > 60)
        {
            problems.Add("OAuth:StateLifetimeMinutes must be 1..60.");
        }

        if (CompletionLifetimeMinutes is < 1 or > 60)
        {
            problems.Add("OAuth:CompletionLifetimeMinutes must be 1..60.");
        }

        if (CallbackUrl is { } callback && !SecureUrl.IsAllowed(callback))
        {
            problems.Add("OAuth:CallbackUrl must be an absolute https URL (http only on loopback).");
        }

        return problems;
    }
}

/// <summary>Settings of section <c>TokenEndpoint</c>: <c>POST /api/mcp/{provider}/token</c> hands out access tokens, so it is off by default.</summary>
public sealed class TokenEndpointOptions : IValidatedOptions
{
    public const string Section = "TokenEndpoint";

    public bool Enabled { get; set; }

    /// <summary>A role or scope the caller's JWT must carry (<c>roles</c>, <c>scp</c> or <c>scope</c> claim).</summary>
    public string RequiredRole { get; set; } = "McpFunctions.TokenReader";

    public IReadOnlyList<string> Problems() =>
        string.IsNullOrWhiteSpace(RequiredRole) || RequiredRole.Contains(' ', StringComparison.Ordinal)
            ? ["TokenEndpoint:RequiredRole must be one role or scope name, without spaces."]
            : [];
}

/// <summary>Settings of section <c>Refresh</c>; defaults in <see cref="Core.OAuth.RefreshSettings.Default"/>.</summary>
public sealed class RefreshOptions : IValidatedOptions
{
    public const string Section = "Refresh";

    public int LeaseSeconds { get; set; } = 30;

    public int BackoffBaseSeconds { get; set; } = 30;

    public int BackoffMaxSeconds { get; set; } = 3600;

    public int MaxFailuresAfterExpiry { get; set; } = 3;

    public int SweepBatchSize { get; set; } = 200;

    public int SweepParallelism { get; set; } = 8;

    public int SweepMaxPerRun { get; set; } = 20_000;

    public IReadOnlyList<string> Problems() =>
        LeaseSeconds < 20 || SweepBatchSize < 1 || SweepParallelism < 1 || SweepMaxPerRun < 1 || MaxFailuresAfterExpiry < 1 || BackoffBaseSeconds < 1
            ? ["Refresh__LeaseSeconds must be at least 20 (longer than a token request), and the sweep and backoff settings positive."]
            : [];
}
