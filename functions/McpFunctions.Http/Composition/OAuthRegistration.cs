using McpFunctions.Adapters.Cosmos;
using McpFunctions.Adapters.ProviderHttp;
using McpFunctions.Core.Jobs;
using McpFunctions.Core.OAuth;
using McpFunctions.Core.Providers;
using McpFunctions.Http.Json;
using McpFunctions.Http.OAuth;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using McpFunctions.Core.Security;

namespace McpFunctions.Http.Composition;

/// <summary>OAuth connections and the token lifecycle: client registrations, flow settings, refresh, sweep.</summary>
internal static class OAuthRegistration
{
    public const string CallbackPath = "/api/oauth/callback";

    public static void AddOAuth(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment, ProviderCatalog catalog)
    {
        var clients = LoadClients(configuration, catalog);
        services.AddSingleton(clients);
        var flow = services.AddValidatedOptions<OAuthOptions>(configuration, OAuthOptions.Section);
        services.AddSingleton(FlowSettings(flow, configuration, environment, clients));
        services.AddSingleton(RefreshSettingsFrom(services.AddValidatedOptions<RefreshOptions>(configuration, RefreshOptions.Section)));
        services.AddValidatedOptions<TokenEndpointOptions>(configuration, TokenEndpointOptions.Section);

        services.AddSingleton<OAuthProviders>();
        services.AddSingleton<ITokenEndpoint, HttpTokenEndpoint>();
        services.AddSingleton<IOAuthStateStore>(sp => new CosmosOAuthStateStore(
            sp.GetRequiredService<CosmosContainers>(), McpJsonContext.Default.OAuthRecordDocument, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<StartAuthorization>();
        services.AddSingleton<HandleCallback>();
        services.AddSingleton<CompleteConnection>();
        services.AddSingleton<TokenRefresher>();
        services.AddSingleton<RefreshSweep>();
        services.AddSingleton<IScheduledJob>(sp => sp.GetRequiredService<RefreshSweep>());
    }

    /// <summary>The OAuth endpoints of a provider, overridable per deployment (tests, sovereign clouds, Qlik tenants).</summary>
    public static OAuthSettings ApplyOverrides(string providerId, OAuthSettings oauth, IConfigurationSection settings)
    {
        string Endpoint(string name, string current)
        {
            if (settings[name] is not { Length: > 0 } value)
            {
                return current;
            }

            return SecureUrl.TryParse(value, out var uri)
                ? uri.ToString()
                : throw new InvalidOperationException($"Providers:{providerId}:{name} must be an absolute https URL (http only on loopback).");
        }

        return oauth with
        {
            AuthorizeUrl = Endpoint("AuthorizeUrl", oauth.AuthorizeUrl),
            TokenUrl = Endpoint("TokenUrl", oauth.TokenUrl),
            Revocation = oauth.Revocation is { } revocation ? revocation with { Url = Endpoint("RevokeUrl", revocation.Url) } : null,
        };
    }

    private static OAuthClients LoadClients(IConfiguration configuration, ProviderCatalog catalog)
    {
        var clients = new Dictionary<string, OAuthClientCredentials>(StringComparer.Ordinal);
        foreach (var provider in catalog.All.Where(p => p.Auth.OAuth is not null))
        {
            var section = configuration.GetSection($"Providers:{provider.Id}");
            var (id, secret) = (section["ClientId"], section["ClientSecret"]);
            if (string.IsNullOrEmpty(id) && string.IsNullOrEmpty(secret))
            {
                continue;
            }

            if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(secret))
            {
                throw new InvalidOperationException(
                    $"Providers__{provider.Id}__ClientId and Providers__{provider.Id}__ClientSecret must be set together (one of them is empty).");
            }

            if (secret.StartsWith("@Microsoft.KeyVault(", StringComparison.OrdinalIgnoreCase))
            {
                // App Service hands over the reference text itself when the secret is missing or unreadable.
                throw new InvalidOperationException(
                    $"Providers__{provider.Id}__ClientSecret is an unresolved Key Vault reference: create the secret, or grant the app's identity access to it.");
            }

            clients[provider.Id] = new OAuthClientCredentials(id, secret);
        }

        return new OAuthClients(clients);
    }

    private static OAuthFlowSettings FlowSettings(OAuthOptions options, IConfiguration configuration, IHostEnvironment environment, OAuthClients clients)
    {
        var anyClient = clients.Providers.Any();
        var publicBase = configuration.GetSection("Mcp")["PublicBaseUrl"];
        var callback = options.CallbackUrl
            ?? (Uri.TryCreate(publicBase, UriKind.Absolute, out var root) ? new Uri(root, CallbackPath) : null);
        if (callback is null)
        {
            if (anyClient)
            {
                throw new InvalidOperationException(
                    "OAuth__CallbackUrl (or Mcp__PublicBaseUrl) is required once a provider has an OAuth client: it is the redirect URI registered at the provider.");
            }

            // No provider can start a flow without a client, so no callback URL is ever sent anywhere.
            callback = new Uri("http://127.0.0.1" + CallbackPath);
        }

        var allowlist = options.ReturnUrlAllowlist.Where(u => u is { IsAbsoluteUri: true }).ToList();
        if (anyClient && allowlist.Count == 0 && !environment.IsDevelopment())
        {
            throw new InvalidOperationException(
                "OAuth__ReturnUrlAllowlist must list at least one URL outside Development: flows may only return the browser to the chat product's own pages.");
        }

        var settings = new OAuthFlowSettings(
            callback,
            allowlist,
            options.DefaultReturnUrl,
            options.RequireCompletion,
            TimeSpan.FromMinutes(options.StateLifetimeMinutes),
            TimeSpan.FromMinutes(options.CompletionLifetimeMinutes));
        if (settings.DefaultReturnUrl is { } defaultReturn && !settings.Allows(defaultReturn))
        {
            throw new InvalidOperationException("OAuth__DefaultReturnUrl must be on OAuth__ReturnUrlAllowlist.");
        }

        return settings;
    }

    private static RefreshSettings RefreshSettingsFrom(RefreshOptions o) =>
        new(
            TimeSpan.FromSeconds(o.LeaseSeconds),
            TimeSpan.FromSeconds(o.BackoffBaseSeconds),
            TimeSpan.FromSeconds(Math.Max(o.BackoffBaseSeconds, o.BackoffMaxSeconds)),
            o.MaxFailuresAfterExpiry,
            o.SweepBatchSize,
            o.SweepParallelism,
            o.SweepMaxPerRun);
}
