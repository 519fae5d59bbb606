using McpFunctions.Http.Json;
using Microsoft.AspNetCore.Http;

namespace McpFunctions.Http.Endpoints;

/// <summary>An error response: <see cref="ApiProblem"/> as <c>application/problem+json</c> with its status.</summary>
/// <remarks>A result type of its own so that handler signatures read <c>Results&lt;Ok&lt;T&gt;, ApiProblemResult&gt;</c>; which
/// statuses a route can answer is declared on the route (<see cref="ApiRoutes.ProducesProblems"/>) for the OpenAPI document.</remarks>
public sealed class ApiProblemResult : IResult, IStatusCodeHttpResult, IValueHttpResult, IValueHttpResult<ApiProblem>, IContentTypeHttpResult
{
    /// <summary>For a caller that went away: nobody reads the answer, so there is none beyond the status.</summary>
    public static readonly ApiProblemResult Abandoned = new(null, StatusCodes.Status499ClientClosedRequest);

    private ApiProblemResult(ApiProblem? problem, int status)
    {
        Value = problem;
        StatusCode = status;
    }

    public ApiProblem? Value { get; }

    public int StatusCode { get; }

    int? IStatusCodeHttpResult.StatusCode => StatusCode;

    object? IValueHttpResult.Value => Value;

    public string ContentType => Problems.ContentType;

    public static ApiProblemResult Of(ApiProblem problem) => new(problem, problem.Status);

    public Task ExecuteAsync(HttpContext httpContext)
    {
        if (Value is null)
        {
            httpContext.Response.StatusCode = StatusCode;
            return Task.CompletedTask;
        }

        return TypedResults.Json(Value, McpJsonContext.Default.ApiProblem, ContentType, StatusCode).ExecuteAsync(httpContext);
    }
}
