using McpFunctions.Core.Health;
using McpFunctions.Http.Health;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace McpFunctions.FunctionApp;

/// <summary>Anonymous health (<see cref="HealthApi"/>): readiness at /api/health (503 only when Cosmos DB or the key ring is
/// down; Redis down is "degraded" with 200) and liveness at /api/health/live.</summary>
public sealed class HealthFunctions(IEnumerable<IHealthProbe> probes, ILoggerFactory loggers)
{
    [Function("Health")]
    public Task<Results<Ok<HealthReport>, JsonHttpResult<HealthReport>>> Check(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/health")] HttpRequest request) =>
        HealthApi.Check(request.HttpContext, probes, loggers);

    [Function("HealthLive")]
    public static Ok<HealthReport> Live(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/health/live")] HttpRequest request) =>
        HealthApi.Live(request.HttpContext);
}
