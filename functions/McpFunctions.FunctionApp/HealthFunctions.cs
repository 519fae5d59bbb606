using McpFunctions.Http.Health;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace McpFunctions.FunctionApp;

/// <summary>Anonymous health (<see cref="HealthApi"/>): readiness at /api/health (503 only when Cosmos DB or the key ring is
/// down; Redis down is "degraded" with 200) and liveness at /api/health/live.</summary>
public static class HealthFunctions
{
    [Function("Health")]
    public static Task<IResult> Check(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/health")] HttpRequest request) =>
        HealthApi.Check(request.HttpContext);

    [Function("HealthLive")]
    public static IResult Live(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/health/live")] HttpRequest request) =>
        HealthApi.Live(request.HttpContext);
}
