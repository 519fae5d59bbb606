using System.Diagnostics;
using McpFunctions.Core.Health;
using McpFunctions.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace McpFunctions.Http.Health;

/// <summary>Anonymous health checks. <c>/api/health</c> is readiness: 503 only when a dependency we cannot serve without
/// (Cosmos DB, the key ring) is down; an optional one (Redis) down is <c>degraded</c> with 200, so a platform health check
/// never takes instances out for an outage they survive. <c>/api/health/live</c> is liveness: the process serves.</summary>
public static class HealthApi
{
    public const string Route = "/api/health";

    public const string LiveRoute = "/api/health/live";

    /// <summary>Each probe gets this long; a hung dependency must not hang the health check.</summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(3);

    public static RouteGroupBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("").WithTags("Health").AllowAnonymous();
        api.MapGet(Route, Check).WithName("Health")
            .Produces<HealthReport>(StatusCodes.Status503ServiceUnavailable);
        api.MapGet(LiveRoute, Live).WithName("HealthLive");
        return api;
    }

    /// <summary>Liveness: answers without touching any dependency.</summary>
    public static Ok<HealthReport> Live(HttpContext http) =>
        TypedResults.Ok(new HealthReport("alive", new Dictionary<string, ComponentHealth>()));

    /// <summary>Readiness: 200 <c>healthy</c> or <c>degraded</c>, 503 <c>unhealthy</c>, with each dependency's state.</summary>
    public static async Task<Results<Ok<HealthReport>, JsonHttpResult<HealthReport>>> Check(
        HttpContext http, [FromServices] IEnumerable<IHealthProbe> probes, [FromServices] ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger("McpFunctions.Health");
        var results = await Task.WhenAll(probes.Select(probe => RunAsync(probe, logger, http.RequestAborted)));
        var components = results.ToDictionary(r => r.Name, r => r.Health, StringComparer.Ordinal);
        var status = components.Values.Any(c => c.Status == "unhealthy")
            ? "unhealthy"
            : components.Values.Any(c => c.Status == "degraded") ? "degraded" : "healthy";
        var report = new HealthReport(status, components);
        return status == "unhealthy"
            ? TypedResults.Json(report, McpJsonContext.Default.HealthReport, statusCode: StatusCodes.Status503ServiceUnavailable)
            : TypedResults.Ok(report);
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
            return (probe.Name, new ComponentHealth(probe.Required ? "unhealthy" : "degraded", error, Elapsed(started)));
        }
    }

    private static long Elapsed(long started) => (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
}
