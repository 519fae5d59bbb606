using McpFunctions.Adapters.Caching;
using McpFunctions.Adapters.Cosmos;
using McpFunctions.Adapters.KeyRing;
using McpFunctions.Adapters.ProviderHttp;
using McpFunctions.Adapters.Redis;
using McpFunctions.Core.Telemetry;
using McpFunctions.Core.Connections;
using McpFunctions.Core.Credentials;
using McpFunctions.Core.Health;
using McpFunctions.Core.Providers;
using McpFunctions.Http.Admin;
using McpFunctions.Http.ApiDocs;
using McpFunctions.Http.Auth;
using McpFunctions.Http.Connections;
using McpFunctions.Http.Health;
using McpFunctions.Http.Json;
using McpFunctions.Http.Mcp;
using McpFunctions.Http.OAuth;
using McpFunctions.Core.Tools;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly.Registry;
using McpFunctions.Core.Security;

namespace McpFunctions.Http.Composition;

/// <summary>The one service registration and route map both hosts use (Function App and LocalHost).</summary>
public static class McpFunctionsRegistration
{
    /// <summary>Registers everything; invalid configuration fails here, at startup, naming the setting.</summary>
    public static IHostApplicationBuilder AddMcpFunctions(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;

        services.AddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.AddSingleton<McpMetrics>();
        services.AddHttpJson();
        services.AddSingleton<ApiDescription>();

        services.AddAuth(configuration);
        var catalog = LoadCatalog(configuration);
        services.AddSingleton(catalog);
        services.AddKeyRing(configuration, builder.Environment);
        services.AddKeyRotation(configuration);
        services.AddStorage(configuration);
        services.AddProviderCalls();
        services.AddWebhooks(configuration);
        services.AddOAuth(configuration, builder.Environment, catalog);

        services.AddSingleton(sp => new CredentialProtector(sp.GetRequiredService<EnvelopeEncryption>(), McpJsonContext.Default.Credential));
        services.AddSingleton<EnvelopeEncryption>();
        services.AddSingleton<ConnectApiKey>();
        services.AddSingleton<GetConnections>();
        services.AddSingleton<Disconnect>();
        services.AddSingleton<ResolveCredential>();
        services.AddHostedService<StartupWarmup>();
        services.AddSingleton<CallTool>();

        services.AddValidatedOptions<McpOptions>(configuration, McpOptions.Section);
        services.AddSingleton<McpToolList>();
        services.AddSingleton<RequestStateProtector>();
        services.AddSingleton<McpDispatcher>();
        return builder;
    }

    public static IEndpointRouteBuilder MapMcpFunctions(this IEndpointRouteBuilder app)
    {
        app.MapHealthApi();
        app.MapConnectionsApi();
        app.MapOAuthApi();
        app.MapMcpApi();
        app.MapProtectedResourceApi();
        app.MapKeysApi();
        app.MapOpenApiDocumentApi();
        return app;
    }

    /// <summary>Typed results (<c>Ok&lt;T&gt;</c>) write with these options: our source-generated context, nulls left out,
    /// exactly as <see cref="McpJsonContext"/> writes everything else.</summary>
    public static IServiceCollection AddHttpJson(this IServiceCollection services) =>
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, McpJsonContext.Default);
            o.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull;
        });

    private static void AddAuth(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<AuthOptions>(configuration, AuthOptions.Section);
        services.AddSingleton<CallerAuthenticator>();
    }

    private static void AddKeyRing(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        services.AddSingleton<IHealthProbe, KeyRingHealthProbe>();
        if (services.AddValidatedOptions<KeyRingOptions>(configuration, KeyRingOptions.Section).UsesKeyVault)
        {
            services.AddValidatedOptions<KeyVaultKeyRingOptions>(configuration, KeyVaultKeyRingOptions.Section);
            services.AddSingleton<IKeyRing>(sp => KeyVaultKeyRing.Create(
                sp.GetRequiredService<IOptions<KeyVaultKeyRingOptions>>().Value,
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILoggerFactory>().CreateLogger<KeyVaultKeyRing>()));
            return;
        }

        // The local key is a secret with a flat name, read as such rather than bound into an options object.

        var current = configuration[LocalKeyRing.SettingName];
        var previous = (configuration[LocalKeyRing.SettingName + "_PREVIOUS"] ?? "")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var generated = false;
        if (string.IsNullOrWhiteSpace(current))
        {
            if (!environment.IsDevelopment())
            {
                throw new InvalidOperationException(
                    $"{LocalKeyRing.SettingName} is required outside Development: base64 of 32 random bytes (e.g. `openssl rand -base64 32`).");
            }

            current = LocalKeyRing.GenerateBase64Key();
            generated = true;
        }

        var ring = LocalKeyRing.FromBase64(current, previous);
        services.AddSingleton<IKeyRing>(sp =>
        {
            if (generated)
            {
                sp.GetRequiredService<ILoggerFactory>().CreateLogger("McpFunctions.KeyRing").LogWarning(
                    "!!! {Setting} is not set: generated a throw-away key for this Development run. Credentials stored now cannot be read after a restart. Never run like this in production. !!!",
                    LocalKeyRing.SettingName);
            }

            return ring;
        });
    }

    private static void AddStorage(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<CosmosOptions>(configuration, CosmosOptions.Section);
        services.AddSingleton(sp => new CosmosContainers(
            sp.GetRequiredService<IOptions<CosmosOptions>>(),
            McpJsonContext.Default.Options));
        services.AddSingleton<IHealthProbe>(sp => sp.GetRequiredService<CosmosContainers>());
        services.AddSingleton(sp => new CosmosConnectionStore(
            sp.GetRequiredService<CosmosContainers>(),
            McpJsonContext.Default.ConnectionDocument,
            McpJsonContext.Default.CosmosFeedPageConnectionDocument));
        services.AddValidatedOptions<ConnectionCacheOptions>(configuration, ConnectionCacheOptions.Section);
        services.AddSingleton<IConnectionStore>(sp => new CachedConnectionStore(
            sp.GetRequiredService<CosmosConnectionStore>(),
            sp.GetRequiredService<RedisConnection>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<ConnectionCacheOptions>>(),
            sp.GetRequiredService<ILogger<CachedConnectionStore>>()));

        services.AddValidatedOptions<RedisOptions>(configuration, RedisOptions.Section);
        services.AddSingleton<RedisConnection>();
        services.AddSingleton<IHealthProbe>(sp => sp.GetRequiredService<RedisConnection>());
    }

    private static void AddProviderCalls(this IServiceCollection services)
    {
        services.AddHttpClient(HttpProviderClient.HttpClientName, c =>
            {
                c.Timeout = Timeout.InfiniteTimeSpan;
                // Some providers (GitHub) refuse requests without one, token and revocation endpoints included.
                c.DefaultRequestHeaders.UserAgent.ParseAdd("McpFunctions/1.0");
            })
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                // Never follow redirects: a provider-supplied Location could carry our auth header elsewhere.
                AllowAutoRedirect = false,
                PooledConnectionLifetime = TimeSpan.FromMinutes(2),
                AutomaticDecompression = System.Net.DecompressionMethods.All,
            })
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan);
        services.AddSingleton<ResiliencePipelineRegistry<string>>();
        services.AddSingleton<IProviderClient, HttpProviderClient>();
    }

    /// <summary>Embedded catalog files, any in <c>Providers:CatalogPath</c> and any <c>Providers:{id}:Definition</c>
    /// setting, then per-provider overrides from settings.</summary>
    private static ProviderCatalog LoadCatalog(IConfiguration configuration)
    {
        var definitions = DefinitionSettings(configuration);
        var files = ProviderCatalog.EmbeddedFiles().ToList();
        if (configuration["Providers:CatalogPath"] is { Length: > 0 } directory)
        {
            files.AddRange(Directory.EnumerateFiles(directory, "*.json").Order().Select(f => (f, (Stream)File.OpenRead(f))));
        }

        ProviderCatalog loaded;
        try
        {
            loaded = ProviderCatalog.Load(files, definitions, McpJsonContext.Default.ProviderDescriptor);
        }
        finally
        {
            files.ForEach(f => f.Content.Dispose());
        }

        return new ProviderCatalog(loaded.All.Select(p => ApplyOverrides(p, configuration.GetSection($"Providers:{p.Id}"))));
    }

    /// <summary>Providers defined wholly by one setting each, <c>Providers__{id}__Definition</c>: the catalog entry as JSON.</summary>
    private static List<ProviderDefinition> DefinitionSettings(IConfiguration configuration)
    {
        var definitions = new List<ProviderDefinition>();
        foreach (var provider in configuration.GetSection("Providers").GetChildren().OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var definition = provider.GetSection("Definition");
            var name = $"Providers__{provider.Key}__Definition";
            if (definition.GetChildren().Any())
            {
                // A JSON settings file (appsettings.json) flattens an object into Definition:id, Definition:auth:...
                throw new InvalidOperationException(
                    $"{name} must be one string holding the catalog entry's JSON; in a JSON settings file write it as a string, not as an object.");
            }

            if (definition.Value is { } json && !string.IsNullOrWhiteSpace(json))
            {
                definitions.Add(new ProviderDefinition(name, provider.Key, json));
            }
        }

        return definitions;
    }

    private static ProviderDescriptor ApplyOverrides(ProviderDescriptor provider, IConfigurationSection settings)
    {
        var api = provider.Api;
        if (settings["BaseUrl"] is { Length: > 0 } baseUrl)
        {
            if (!SecureUrl.TryParse(baseUrl, out var uri))
            {
                throw new InvalidOperationException($"Providers:{provider.Id}:BaseUrl must be an absolute https URL (http only on loopback).");
            }

            api = api with { BaseUrl = uri };
        }

        if (settings["TimeoutSeconds"] is { Length: > 0 } timeout)
        {
            api = api with
            {
                TimeoutSeconds = int.TryParse(timeout, out var seconds) && seconds is > 0 and <= 300
                    ? seconds
                    : throw new InvalidOperationException($"Providers:{provider.Id}:TimeoutSeconds must be 1..300."),
            };
        }

        if (settings["MaxResponseBytes"] is { Length: > 0 } maxBytes)
        {
            api = api with
            {
                MaxResponseBytes = int.TryParse(maxBytes, out var bytes) && bytes is >= 1024 and <= 64 * 1024 * 1024
                    ? bytes
                    : throw new InvalidOperationException($"Providers:{provider.Id}:MaxResponseBytes must be 1024..67108864."),
            };
        }

        var headers = settings.GetSection("Headers").GetChildren().ToList();
        if (headers.Count > 0)
        {
            var merged = new Dictionary<string, string>(api.Headers ?? new Dictionary<string, string>(), StringComparer.OrdinalIgnoreCase);
            headers.ForEach(h => merged[h.Key] = h.Value ?? "");
            api = api with { Headers = merged };
        }

        var auth = provider.Auth.OAuth is { } oauth
            ? provider.Auth with { OAuth = OAuthRegistration.ApplyOverrides(provider.Id, oauth, settings) }
            : provider.Auth;
        return provider with { Api = api, Auth = auth };
    }
}
