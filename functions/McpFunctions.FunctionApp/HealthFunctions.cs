using McpFunctions.Http.Health;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace McpFunctions.FunctionApp;

/// <summary>Anonymous dependency check (<see cref="HealthApi"/>): 200 when Cosmos DB, Redis and the key ring answer, 503 otherwise.</summary>
public static class HealthFunctions
{
    [Function("Health")]
    public static Task<IResult> Check(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/health")] HttpRequest request) =>
        HealthApi.Check(request.HttpContext);
}
