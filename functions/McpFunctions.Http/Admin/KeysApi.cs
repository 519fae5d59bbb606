using McpFunctions.Core.Connections;
using McpFunctions.Core.Errors;
using McpFunctions.Core.Keys;
using McpFunctions.Http.Endpoints;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace McpFunctions.Http.Admin;

/// <summary>Operators' key-rotation endpoints: the report, adding or reloading a key version, and a re-wrap pass.</summary>
/// <remarks>Authenticated like every endpoint, then authorized: the token must carry the role or scope in
/// <see cref="AdminOptions.AdminRole"/>.</remarks>
public static class KeysApi
{
    public const string ReportRoute = "/api/admin/keys";
    public const string RotateRoute = "/api/admin/keys/rotate";
    public const string RewrapRoute = "/api/admin/keys/rewrap";

    public static RouteGroupBuilder MapKeysApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("").WithTags("Key rotation (operators)");
        api.MapGet(ReportRoute, Report).WithName("KeysReport").Authenticated()
            .ProducesProblems(StatusCodes.Status403Forbidden);
        api.MapPost(RotateRoute, Rotate).WithName("KeysRotate").Authenticated()
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden, StatusCodes.Status409Conflict);
        api.MapPost(RewrapRoute, Rewrap).WithName("KeysRewrap").Authenticated()
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden);
        return api;
    }

    /// <summary>Credentials per key version.</summary>
    public static Task<Results<Ok<KeyReportView>, ApiProblemResult>> Report(
        HttpContext http, [FromServices] IOptions<AdminOptions> admin, [FromServices] GetKeyReport report) =>
        ApiEndpoint.RunAsync(http, "keys.report", null, async (caller, ct) =>
        {
            RequireAdmin(admin.Value, caller);
            return ReportResult(await report.ExecuteAsync(ct));
        });

    /// <summary>Adds a key version (or with <c>?reload=true</c> only re-reads the versions), then the report.</summary>
    public static Task<Results<Ok<KeyReportView>, ApiProblemResult>> Rotate(
        HttpContext http,
        [FromQuery] string? reload,
        [FromServices] IOptions<AdminOptions> admin,
        [FromServices] RotateKeys rotate,
        [FromServices] GetKeyReport report) =>
        ApiEndpoint.RunAsync(http, "keys.rotate", null, async (caller, ct) =>
        {
            RequireAdmin(admin.Value, caller);
            string? added = null;
            if (ParseReload(reload))
            {
                await rotate.ReloadAsync(caller, ct);
            }
            else
            {
                added = await rotate.AddVersionAsync(caller, ct);
            }

            return ReportResult(await report.ExecuteAsync(ct), added);
        });

    /// <summary>Runs one bounded re-wrap pass now (<c>?max=N</c> lowers its bound), then its result.</summary>
    public static Task<Results<Ok<RewrapResultView>, ApiProblemResult>> Rewrap(
        HttpContext http,
        [FromQuery] string? max,
        [FromServices] IOptions<AdminOptions> admin,
        [FromServices] IOptions<RewrapOptions> rewrap,
        [FromServices] KeyRewrapJob job) =>
        ApiEndpoint.RunAsync(http, "keys.rewrap", null, async (caller, ct) =>
        {
            RequireAdmin(admin.Value, caller);
            var result = await job.RunOnceAsync(ParseMax(max, rewrap.Value.MaxPerRun), ct);
            return TypedResults.Ok(RewrapResultView.Of(result));
        });

    private static void RequireAdmin(AdminOptions admin, Caller caller)
    {
        if (!caller.Has(admin.AdminRole))
        {
            throw new McpFunctionsException(ErrorCode.Forbidden, $"This endpoint is for operators: the token needs the role or scope '{admin.AdminRole}'.");
        }
    }

    private static Ok<KeyReportView> ReportResult(KeyReport report, string? addedKeyId = null) =>
        TypedResults.Ok(KeyReportView.Of(report, addedKeyId));

    private static bool ParseReload(string? value)
    {
        if (value is null)
        {
            return false;
        }

        return bool.TryParse(value, out var reload)
            ? reload
            : throw new McpFunctionsException(ErrorCode.ValidationError, "Query parameter 'reload' must be true or false.");
    }

    private static int? ParseMax(string? value, int maxPerRun)
    {
        if (value is null)
        {
            return null;
        }

        return int.TryParse(value, out var max) && max >= 1 && max <= maxPerRun
            ? max
            : throw new McpFunctionsException(ErrorCode.ValidationError, $"Query parameter 'max' must be a whole number from 1 to {maxPerRun} (Rewrap__MaxPerRun).");
    }
}
