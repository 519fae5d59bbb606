using System.Text.Json.Serialization;

namespace McpFunctions.Http.Endpoints;

/// <summary>RFC 9457 problem details with our stable <c>code</c> extension.</summary>
public sealed record ApiProblem(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("title")] string Title,
    [property: JsonPropertyName("status")] int Status,
    [property: JsonPropertyName("detail")] string Detail,
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("provider_status")] int? ProviderStatus = null);
