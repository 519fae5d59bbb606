using System.Text.Json.Serialization;

namespace McpFunctions.Http.Health;

/// <summary>Body of <c>GET /api/health</c>: overall and per-component status.</summary>
public sealed record HealthReport(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("components")] IReadOnlyDictionary<string, ComponentHealth> Components);

/// <summary>One dependency's health; <c>error</c> names the failure kind only, never a message that could hold a secret.</summary>
public sealed record ComponentHealth(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("error")] string? Error = null,
    [property: JsonPropertyName("duration_ms")] long DurationMs = 0);
