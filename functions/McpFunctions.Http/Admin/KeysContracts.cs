using System.Text.Json.Serialization;
using McpFunctions.Core.Keys;

namespace McpFunctions.Http.Admin;

/// <summary>Body of <c>GET /api/admin/keys</c> and <c>POST /api/admin/keys/rotate</c>: credentials per key version.</summary>
public sealed record KeyReportView(
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("can_rotate")] bool CanRotate,
    [property: JsonPropertyName("current_key_id")] string CurrentKeyId,
    [property: JsonPropertyName("current_since")] DateTimeOffset? CurrentSince,
    [property: JsonPropertyName("settled_at")] DateTimeOffset? SettledAt,
    [property: JsonPropertyName("total_credentials")] int TotalCredentials,
    [property: JsonPropertyName("not_under_current")] int NotUnderCurrent,
    [property: JsonPropertyName("keys")] IReadOnlyList<KeyUsageView> Keys,
    [property: JsonPropertyName("unused_key_ids")] IReadOnlyList<string> UnusedKeyIds,
    [property: JsonPropertyName("safe_to_disable")] IReadOnlyList<string> SafeToDisable,
    [property: JsonPropertyName("not_held_key_ids")] IReadOnlyList<string> NotHeldKeyIds,
    [property: JsonPropertyName("added_key_id")] string? AddedKeyId = null)
{
    public static KeyReportView Of(KeyReport report, string? addedKeyId = null) => new(
        report.Source,
        report.CanRotate,
        report.CurrentKeyId,
        report.CurrentSince,
        report.SettledAt,
        report.TotalCredentials,
        report.NotUnderCurrent,
        [.. report.Keys.Select(k => new KeyUsageView(k.KeyId, k.Credentials, k.Current, k.Held))],
        report.Unused,
        report.SafeToDisable,
        report.NotHeld,
        addedKeyId);
}

/// <summary>One key id in a <see cref="KeyReportView"/>.</summary>
public sealed record KeyUsageView(
    [property: JsonPropertyName("key_id")] string KeyId,
    [property: JsonPropertyName("credentials")] int Credentials,
    [property: JsonPropertyName("current")] bool Current,
    [property: JsonPropertyName("held")] bool Held);

/// <summary>Body of <c>POST /api/admin/keys/rewrap</c>: what one bounded pass did.</summary>
public sealed record RewrapResultView(
    [property: JsonPropertyName("current_key_id")] string CurrentKeyId,
    [property: JsonPropertyName("rewrapped")] int Rewrapped,
    [property: JsonPropertyName("skipped")] int Skipped,
    [property: JsonPropertyName("failed")] int Failed,
    [property: JsonPropertyName("failed_by_key")] IReadOnlyDictionary<string, int> FailedByKey,
    [property: JsonPropertyName("remaining")] int? Remaining,
    [property: JsonPropertyName("complete")] bool Complete)
{
    public static RewrapResultView Of(RewrapResult result) => new(
        result.CurrentKeyId, result.Rewrapped, result.Skipped, result.Failed, result.FailedByKey, result.Remaining, result.Complete);
}
