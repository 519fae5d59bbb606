namespace McpFunctions.StandIns.OAuth;

/// <summary>An OAuth client registered at a stand-in: its credentials and the exact redirect URIs it may use.</summary>
/// <param name="Name">What the provider shows on its consent page (Notion also names the integration's bot after it).</param>
public sealed record OAuthClientRegistration(string ClientId, string ClientSecret, IReadOnlyList<Uri> RedirectUris, string Name)
{
    public override string ToString() => $"OAuthClientRegistration {{ ClientId = {ClientId}, ClientSecret = ***, Name = {Name} }}";

    /// <summary>Exact string comparison of the absolute URI, as providers compare registered callback URLs.</summary>
    public bool AllowsRedirect(string? redirectUri) =>
        redirectUri is not null && RedirectUris.Any(u => string.Equals(u.AbsoluteUri, redirectUri, StringComparison.Ordinal));
}
