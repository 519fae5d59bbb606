using System.Net;
using Microsoft.Azure.Cosmos;

namespace McpFunctions.Adapters.Cosmos;

/// <summary>A Cosmos DB failure that is not an expected outcome (404/409/412) of the operation.</summary>
public sealed class CosmosStoreException : Exception
{
    public CosmosStoreException(string message, HttpStatusCode status)
        : base(message)
    {
        Status = status;
    }

    public CosmosStoreException()
    {
    }

    public CosmosStoreException(string message)
        : base(message)
    {
    }

    public CosmosStoreException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public HttpStatusCode Status { get; }

    /// <summary>Throws unless <paramref name="response"/> succeeded.</summary>
    /// <remarks>The message carries the status, sub-status and activity id, which is what Azure support and the
    /// Cosmos diagnostics need, and never Cosmos' error text: for a failed query that can echo the query.</remarks>
    public static void ThrowIfFailed(ResponseMessage response, string operation)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        throw new CosmosStoreException(
            $"Cosmos DB {operation} failed with {(int)response.StatusCode} {response.StatusCode} "
            + $"(sub-status {response.Headers["x-ms-substatus"] ?? "0"}, activity {response.Headers.ActivityId ?? "none"}).",
            response.StatusCode);
    }
}
