using McpFunctions.Adapters.Webhooks;
using McpFunctions.Core.Events;
using McpFunctions.Core.Jobs;
using McpFunctions.Http.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace McpFunctions.Http.Composition;

/// <summary>Connection-event webhooks: the outbox behind <see cref="IConnectionEvents"/> and its delivery job.</summary>
internal static class WebhooksRegistration
{
    /// <summary>Without <c>WEBHOOK_URL</c> events are not stored and the job does nothing; bad settings fail here, naming them.</summary>
    internal static void AddWebhooks(this IServiceCollection services, IConfiguration configuration)
    {
        var options = services.AddValidatedOptions<WebhookOptions>(configuration, WebhookOptions.Section);
        // The delivery classes live in Adapters and take plain settings rather than IOptions.
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<WebhookOptions>>().Value);

        services.AddHttpClient(WebhookSender.HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                // A redirect would carry the signed body somewhere the operator did not configure.
                AllowAutoRedirect = false,
                UseCookies = false,
                PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            })
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            // Our own log lines say what matters; the default ones would print WEBHOOK_URL, which may hold a token.
            .RemoveAllLoggers();

        services.AddSingleton(sp => new CosmosWebhookStore(
            sp.GetRequiredService<Adapters.Cosmos.CosmosContainers>(),
            McpJsonContext.Default.WebhookDocument,
            McpJsonContext.Default.CosmosFeedPageWebhookDocument));
        services.AddSingleton(sp => new WebhookSender(
            sp.GetRequiredService<IHttpClientFactory>(),
            sp.GetRequiredService<WebhookOptions>(),
            sp.GetRequiredService<TimeProvider>(),
            McpJsonContext.Default.ConnectionEvent));
        services.AddSingleton(new WebhookBackoff());
        services.AddSingleton<WebhookDelivery>();
        services.AddSingleton<PromptDeliveries>();
        services.AddSingleton<WebhookDeliveryJob>();
        services.AddSingleton<IScheduledJob>(sp => sp.GetRequiredService<WebhookDeliveryJob>());

        if (options.Enabled)
        {
            services.AddSingleton<IConnectionEvents, WebhookOutbox>();
        }
        else
        {
            services.AddSingleton<IConnectionEvents, DisabledConnectionEvents>();
        }
    }
}
