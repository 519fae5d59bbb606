using McpFunctions.Core.Connections;
using McpFunctions.Core.Errors;
using McpFunctions.Core.Keys;
using McpFunctions.Http.Endpoints;
using McpFunctions.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace McpFunctions.Http.Admin;

/// <summary>Operators' key-rotation endpoints: the report, adding or reloading a key version, and a re-wrap pass.</summary>
/// <remarks>Authenticated like every endpoint, then authorized: the token must carry the role or scope in
/// <see cref="AdminOptions.AdminRole"/>.</remarks>
public static class KeysApi
{
    public const string ReportRoute = "/api/admin/keys";
    public const string RotateRoute = "/api/admin/keys/rotate";
    public const string RewrapRoute = "/api/admin/keys/rewrap";

    public static IEndpointRouteBuilder MapKeysApi(this IEndpointRouteBuilder app)
    {
        app.MapGet(ReportRoute, (Delegate)Report).WithName("KeysReport");
        app.MapPost(RotateRoute, (Delegate)Rotate).WithName("KeysRotate");
        app.MapPost(RewrapRoute, (Delegate)Rewrap).WithName("KeysRewrap");
        return app;
    }

    /// <summary>200 with credentials per key version; 401; 403 FORBIDDEN.</summary>
    public static Task<IResult> Report(HttpContext http) =>
        ApiEndpoint.RunAsync(http, "keys.report", null, async (caller, ct) =>
        {
            RequireAdmin(http, caller);
            return ReportResult(await http.RequestServices.GetRequiredService<GetKeyReport>().ExecuteAsync(ct));
        });

    /// <summary>Adds a key version (or with <c>?reload=true</c> only re-reads the versions), then 200 with the report;
    /// 401; 403 FORBIDDEN; 400 VALIDATION_ERROR; 409 KEY_ROTATION_UNSUPPORTED; 503 SERVICE_UNAVAILABLE.</summary>
    public static Task<IResult> Rotate(HttpContext http) =>
        ApiEndpoint.RunAsync(http, "keys.rotate", null, async (caller, ct) =>
        {
            RequireAdmin(http, caller);
            var reload = ReadReload(http.Request);
            var rotate = http.RequestServices.GetRequiredService<RotateKeys>();
            string? added = null;
            if (reload)
            {
                await rotate.ReloadAsync(caller, ct);
            }
            else
            {
                added = await rotate.AddVersionAsync(caller, ct);
            }

            return ReportResult(await http.RequestServices.GetRequiredService<GetKeyReport>().ExecuteAsync(ct), added);
        });

    /// <summary>Runs one bounded re-wrap pass now (<c>?max=N</c> lowers its bound), then 200 with its result;
    /// 401; 403 FORBIDDEN; 400 VALIDATION_ERROR; 503 SERVICE_UNAVAILABLE.</summary>
    public static Task<IResult> Rewrap(HttpContext http) =>
        ApiEndpoint.RunAsync(http, "keys.rewrap", null, async (caller, ct) =>
        {
            RequireAdmin(http, caller);
            var max = ReadMax(http.Request, http.RequestServices.GetRequiredService<RewrapOptions>().MaxPerRun);
            var result = await http.RequestServices.GetRequiredService<KeyRewrapJob>().RunOnceAsync(max, ct);
            return TypedResults.Json(RewrapResultView.Of(result), McpJsonContext.Default.RewrapResultView);
        });

    private static void RequireAdmin(HttpContext http, Caller caller)
    {
        var role = http.RequestServices.GetRequiredService<AdminOptions>().AdminRole;
        if (!caller.Has(role))
        {
            throw new McpFunctionsException(ErrorCode.Forbidden, $"This endpoint is for operators: the token needs the role or scope '{role}'.");
        }
    }

    private static JsonHttpResult<KeyReportView> ReportResult(KeyReport report, string? addedKeyId = null) =>
        TypedResults.Json(KeyReportView.Of(report, addedKeyId), McpJsonContext.Default.KeyReportView);

    private static bool ReadReload(HttpRequest request)
    {
        if (!request.Query.TryGetValue("reload", out var values))
        {
            return false;
        }

        return bool.TryParse(values.ToString(), out var reload)
            ? reload
            : throw new McpFunctionsException(ErrorCode.ValidationError, "Query parameter 'reload' must be true or false.");
    }

    private static int? ReadMax(HttpRequest request, int maxPerRun)
    {
        if (!request.Query.TryGetValue("max", out var values))
        {
            return null;
        }

        return int.TryParse(values.ToString(), out var max) && max >= 1 && max <= maxPerRun
            ? max
            : throw new McpFunctionsException(ErrorCode.ValidationError, $"Query parameter 'max' must be a whole number from 1 to {maxPerRun} (Rewrap__MaxPerRun).");
    }
}
