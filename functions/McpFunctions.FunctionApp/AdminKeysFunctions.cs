using McpFunctions.Http.Admin;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace McpFunctions.FunctionApp;

/// <summary>Key-encryption-key operations for operators (<see cref="KeysApi"/>): report, rotate, re-wrap now.</summary>
/// <remarks>Anonymous at the Functions level; the handlers require a caller JWT with the <c>Auth__AdminRole</c> role.</remarks>
public static class AdminKeysFunctions
{
    [Function("AdminKeysReport")]
    public static Task<IResult> Report(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/admin/keys")] HttpRequest request) =>
        KeysApi.Report(request.HttpContext);

    [Function("AdminKeysRotate")]
    public static Task<IResult> Rotate(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/admin/keys/rotate")] HttpRequest request) =>
        KeysApi.Rotate(request.HttpContext);

    [Function("AdminKeysRewrap")]
    public static Task<IResult> Rewrap(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/admin/keys/rewrap")] HttpRequest request) =>
        KeysApi.Rewrap(request.HttpContext);
}
