using McpFunctions.Core.Security;

namespace McpFunctions.Core.OAuth;

/// <summary>How this deployment runs authorization flows (settings section <c>OAuth</c>).</summary>
/// <param name="CallbackUrl">Our redirect URI, registered at every provider exactly as it is here.</param>
/// <param name="ReturnUrlAllowlist">Where a finished flow may send the browser: an exact URL, or a prefix ending in <c>/</c>.</param>
/// <param name="DefaultReturnUrl">Where flows started from a tool call (URL elicitation) return; must be on the allowlist.</param>
/// <param name="RequireCompletion">The callback only parks the tokens; the chat backend activates them for the same user
/// (the MCP specification's confused-deputy guidance).</param>
public sealed record OAuthFlowSettings(
    Uri CallbackUrl,
    IReadOnlyList<Uri> ReturnUrlAllowlist,
    Uri? DefaultReturnUrl,
    bool RequireCompletion,
    TimeSpan StateLifetime,
    TimeSpan CompletionLifetime)
{
    /// <summary>True when <paramref name="returnUrl"/> equals an allowlist entry or lies under an entry ending in <c>/</c>.</summary>
    public bool Allows(Uri returnUrl)
    {
        if (!SecureUrl.IsAllowed(returnUrl) || !string.IsNullOrEmpty(returnUrl.UserInfo) || !string.IsNullOrEmpty(returnUrl.Fragment))
        {
            return false;
        }

        foreach (var entry in ReturnUrlAllowlist)
        {
            var sameOrigin = Uri.Compare(entry, returnUrl, UriComponents.SchemeAndServer, UriFormat.UriEscaped, StringComparison.OrdinalIgnoreCase) == 0;
            if (!sameOrigin)
            {
                continue;
            }

            var entryPath = entry.GetComponents(UriComponents.PathAndQuery, UriFormat.UriEscaped);
            var path = returnUrl.GetComponents(UriComponents.PathAndQuery, UriFormat.UriEscaped);
            if (path == entryPath || (entry.AbsolutePath.EndsWith('/') && string.IsNullOrEmpty(entry.Query)
                && returnUrl.AbsolutePath.StartsWith(entry.AbsolutePath, StringComparison.Ordinal)
                && !returnUrl.AbsolutePath.Contains("/../", StringComparison.Ordinal)))
            {
                return true;
            }
        }

        return false;
    }
}
