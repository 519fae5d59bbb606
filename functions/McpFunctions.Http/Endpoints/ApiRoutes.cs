using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace McpFunctions.Http.Endpoints;

/// <summary>What a route declares about itself for the OpenAPI document, beyond what its handler's signature says.</summary>
public static class ApiRoutes
{
    /// <summary>The error statuses this route answers with an <see cref="ApiProblem"/>.</summary>
    public static RouteHandlerBuilder ProducesProblems(this RouteHandlerBuilder route, params int[] statuses)
    {
        foreach (var status in statuses)
        {
            route.Produces<ApiProblem>(status, Problems.ContentType);
        }

        return route;
    }

    /// <summary>A JSON request body of <typeparamref name="TRequest"/>: handlers read bodies themselves (size and text
    /// checks first, <see cref="RequestBody"/>), so the route says what they expect.</summary>
    public static RouteHandlerBuilder AcceptsJson<TRequest>(this RouteHandlerBuilder route)
        where TRequest : notnull =>
        route.Accepts<TRequest>("application/json");

    /// <summary>What every authenticated route may answer: 401 without a valid bearer token, 500 for our own failure, 503 in a store outage.</summary>
    public static RouteHandlerBuilder Authenticated(this RouteHandlerBuilder route) =>
        route.ProducesProblems(StatusCodes.Status401Unauthorized, StatusCodes.Status500InternalServerError, StatusCodes.Status503ServiceUnavailable);
}
