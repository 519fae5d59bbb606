using System.Net.Http.Headers;
using Microsoft.Extensions.Options;

namespace McpFunctions.BenchPeer;

/// <summary>The peer's composition: the SDK's stateless Streamable HTTP server with one tool, and a pooled client for the provider.</summary>
public static class BenchPeerServices
{
    public const string McpPath = "/mcp";
    public const string HealthPath = "/health";

    /// <summary>The API version our catalog sends to Notion, so both servers make the same provider call.</summary>
    private const string NotionVersion = "2022-06-28";

    public static IServiceCollection AddBenchPeer(this IServiceCollection services)
    {
        services.AddOptions<PeerOptions>().BindConfiguration("").ValidateDataAnnotations().ValidateOnStart();
        services.AddHttpClient(NotionBotUserTool.ClientName, (provider, http) =>
        {
            var options = provider.GetRequiredService<IOptions<PeerOptions>>().Value;
            http.BaseAddress = options.BaseUrl;
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.ApiKey);
            http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            http.DefaultRequestHeaders.Add("Notion-Version", NotionVersion);
        });
        services.AddMcpServer()
            .WithHttpTransport(transport => transport.Stateless = true)
            .WithTools<NotionBotUserTool>();
        return services;
    }
}
