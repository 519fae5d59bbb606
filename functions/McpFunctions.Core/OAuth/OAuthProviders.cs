using McpFunctions.Core.Errors;
using McpFunctions.Core.Providers;

namespace McpFunctions.Core.OAuth;

/// <summary>A provider that can be connected by OAuth here: its catalog entry, its flow settings and our client registration.</summary>
public sealed record OAuthProvider(ProviderDescriptor Descriptor, OAuthSettings Settings, OAuthClientCredentials Client)
{
    public string Id => Descriptor.Id;

    public Uri AuthorizeEndpoint => OAuthSettings.Resolve(Settings.AuthorizeUrl, Descriptor.Api.BaseUrl);

    public Uri TokenEndpoint => OAuthSettings.Resolve(Settings.TokenUrl, Descriptor.Api.BaseUrl);

    public Uri? RevocationEndpoint => Settings.Revocation is { } revocation
        ? OAuthSettings.Resolve(revocation.Url.Replace("{client_id}", Uri.EscapeDataString(Client.ClientId), StringComparison.Ordinal), Descriptor.Api.BaseUrl)
        : null;
}

/// <summary>Finds the OAuth side of a provider, or says precisely why it cannot be connected by OAuth.</summary>
public sealed class OAuthProviders(ProviderCatalog catalog, OAuthClients clients)
{
    public OAuthProvider Get(string providerId)
    {
        var provider = catalog.Get(providerId);
        if (provider.Auth.OAuth is not { } settings)
        {
            throw new McpFunctionsException(ErrorCode.ValidationError, $"{provider.DisplayName} does not connect by OAuth. {Connections.ResolveCredential.HowToConnect(provider)}");
        }

        return Find(provider) ?? throw new McpFunctionsException(
            ErrorCode.OauthNotConfigured,
            $"OAuth for {provider.DisplayName} is not configured in this deployment (settings Providers__{provider.Id}__ClientId and Providers__{provider.Id}__ClientSecret).");
    }

    /// <summary>Null when the provider has no OAuth flow or this deployment has no client for it.</summary>
    public OAuthProvider? Find(ProviderDescriptor provider) =>
        provider.Auth.OAuth is { } settings && clients.TryGet(provider.Id, out var client)
            ? new OAuthProvider(provider, settings, client)
            : null;
}
