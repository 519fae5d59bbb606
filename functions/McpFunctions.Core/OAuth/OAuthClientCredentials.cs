namespace McpFunctions.Core.OAuth;

/// <summary>Our OAuth client registration at one provider (from settings <c>Providers:{id}:ClientId</c> and <c>ClientSecret</c>).</summary>
/// <remarks>ToString hides the secret so a logged record leaks nothing.</remarks>
public sealed record OAuthClientCredentials(string ClientId, string ClientSecret)
{
    public override string ToString() => $"OAuthClientCredentials {{ ClientId = {ClientId}, ClientSecret = *** }}";
}

/// <summary>The OAuth client registrations this deployment has; a provider without one cannot be connected by OAuth.</summary>
public sealed class OAuthClients(IReadOnlyDictionary<string, OAuthClientCredentials> byProvider)
{
    public bool TryGet(string providerId, out OAuthClientCredentials client) => byProvider.TryGetValue(providerId, out client!);

    public IEnumerable<string> Providers => byProvider.Keys;
}
