namespace McpFunctions.Core.Security;

/// <summary>The one rule for every URL we call or send people to: https, or http on loopback (local development and
/// tests). No other scheme, on any host.</summary>
public static class SecureUrl
{
    public static bool IsAllowed(Uri? url) =>
        url is { IsAbsoluteUri: true }
        && (url.Scheme == Uri.UriSchemeHttps || (url.Scheme == Uri.UriSchemeHttp && url.IsLoopback));

    /// <summary>Parses <paramref name="text"/> as an absolute URL that <see cref="IsAllowed(Uri?)"/> accepts.</summary>
    public static bool TryParse(string? text, out Uri url)
    {
        url = null!;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var parsed) || !IsAllowed(parsed))
        {
            return false;
        }

        url = parsed;
        return true;
    }
}
