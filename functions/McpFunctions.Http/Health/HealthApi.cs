using System.Diagnostics;
using McpFunctions.Core.Health;
using McpFunctions.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace McpFunctions.Http.Health;

/// <summary>Anonymous health check of every dependency: 200 when all are up, 503 otherwise.</summary>
public static class HealthApi
{
    public const string Route = "/api/health";

    /// <summary>Each probe gets this long; a hung dependency must not hang the health check.</summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(3);

    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet(Route, (Delegate)Check).WithName("Health");
        return app;
    }

    public static async Task<IResult> Check(HttpContext http)
    {
        var probes = http.RequestServices.GetServices<IHealthProbe>();
        var logger = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("McpFunctions.Health");
        var results = await Task.WhenAll(probes.Select(probe => RunAsync(probe, logger, http.RequestAborted)));
        var components = results.ToDictionary(r => r.Name, r => r.Health, StringComparer.Ordinal);
        var healthy = components.Values.All(c => c.Status == "healthy");
        return TypedResults.Json(
            new HealthReport(healthy ? "healthy" : "unhealthy", components),
            McpJsonContext.Default.HealthReport,
            statusCode: healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    private static async Task<(string Name, ComponentHealth Health)> RunAsync(IHealthProbe probe, ILogger logger, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ProbeTimeout);
        try
        {
            await probe.CheckAsync(timeout.Token).WaitAsync(timeout.Token);
            return (probe.Name, new ComponentHealth("healthy", DurationMs: Elapsed(started)));
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(ex, "Health probe {Component} failed", probe.Name);
            var error = ex is OperationCanceledException ? "timeout" : ex.GetType().Name;
            return (probe.Name, new ComponentHealth("unhealthy", error, Elapsed(started)));
        }
    }

    private static long Elapsed(long started) => (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
}
