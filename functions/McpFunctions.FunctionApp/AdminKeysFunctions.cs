using McpFunctions.Core.Keys;
using McpFunctions.Http.Admin;
using McpFunctions.Http.Endpoints;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;

namespace McpFunctions.FunctionApp;

/// <summary>Key-encryption-key operations for operators (<see cref="KeysApi"/>): report, rotate, re-wrap now.</summary>
/// <remarks>Anonymous at the Functions level; the handlers require a caller JWT with the <c>Auth__AdminRole</c> role.</remarks>
public sealed class AdminKeysFunctions(
    IOptions<AdminOptions> admin, GetKeyReport report, RotateKeys rotate, IOptions<RewrapOptions> rewrap, KeyRewrapJob job)
{
    [Function("AdminKeysReport")]
    public Task<Results<Ok<KeyReportView>, ApiProblemResult>> Report(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/admin/keys")] HttpRequest request) =>
        KeysApi.Report(request.HttpContext, admin, report);

    [Function("AdminKeysRotate")]
    public Task<Results<Ok<KeyReportView>, ApiProblemResult>> Rotate(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/admin/keys/rotate")] HttpRequest request) =>
        KeysApi.Rotate(request.HttpContext, request.Query["reload"], admin, rotate, report);

    [Function("AdminKeysRewrap")]
    public Task<Results<Ok<RewrapResultView>, ApiProblemResult>> Rewrap(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/admin/keys/rewrap")] HttpRequest request) =>
        KeysApi.Rewrap(request.HttpContext, request.Query["max"], admin, rewrap, job);
}
