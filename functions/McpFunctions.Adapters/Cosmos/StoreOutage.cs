using System.Net;
using System.Net.Sockets;
using Microsoft.Azure.Cosmos;

namespace McpFunctions.Adapters.Cosmos;

/// <summary>Tells a store outage (Cosmos DB unreachable, overloaded or failing) from a bug, so every route and protocol
/// answers the first with the stable SERVICE_UNAVAILABLE and a retry, and only the second as an internal error.</summary>
public static class StoreOutage
{
    public const string Message = "Storage is unavailable; try again shortly.";

    /// <summary>What we tell callers to wait before trying again (Retry-After, and the MCP error's data).</summary>
    public const int RetryAfterSeconds = 5;

    public static bool Is(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case CosmosStoreException store when IsOutageStatus(store.Status):
                case CosmosException cosmos when IsOutageStatus(cosmos.StatusCode):
                case HttpRequestException:
                case SocketException:
                    return true;
            }
        }

        return false;
    }

    /// <remarks>404 is one: the stores handle every 404 an operation expects, so one that reaches here means a container
    /// or the database is missing; <see cref="CosmosContainers.ThrowIfFailed"/> has already arranged to create it again.</remarks>
    private static bool IsOutageStatus(HttpStatusCode status) =>
        (int)status >= 500 || status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests or HttpStatusCode.NotFound || status == 0;
}
