namespace McpFunctions.Core.Providers;

/// <summary>Port: sends a call to a provider's API with the user's secret in the provider's auth header.</summary>
/// <remarks>Implementations keep every call under the provider's base URL, apply its timeout and
/// response-size cap, and throw <see cref="Errors.McpFunctionsException"/> with
/// <see cref="Errors.ErrorCode.ProviderError"/> when the provider cannot be reached; an HTTP error
/// status is a reply, not an exception.</remarks>
public interface IProviderClient
{
    /// <param name="tenant">Whose call this is: a provider's failures pause calls for that tenant only, so one tenant's
    /// traffic cannot deny service to another.</param>
    Task<ProviderReply> SendAsync(ProviderDescriptor provider, string tenant, ProviderCall call, string secret, CancellationToken cancellationToken);
}
