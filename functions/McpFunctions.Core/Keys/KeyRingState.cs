namespace McpFunctions.Core.Keys;

/// <summary>A key ring as its process holds it.</summary>
/// <param name="Source"><c>KeyVault</c> or <c>Local</c>.</param>
/// <param name="CanRotate">Whether <see cref="IKeyRotation.AddVersionAsync"/> and <see cref="IKeyRotation.ReloadAsync"/> work.</param>
/// <param name="CurrentKeyId">The version that wraps new data keys.</param>
/// <param name="CurrentSince">When the current version was created; null when the ring cannot know (local keys).</param>
/// <param name="PropagationDelay">How long after <paramref name="CurrentSince"/> every other instance has surely picked
/// the current version up (their refresh interval); zero when only a restart changes the keys.</param>
/// <param name="KeyIds">Every version held, newest first, the current one included.</param>
public sealed record KeyRingState(
    string Source,
    bool CanRotate,
    string CurrentKeyId,
    DateTimeOffset? CurrentSince,
    TimeSpan PropagationDelay,
    IReadOnlyList<string> KeyIds);
