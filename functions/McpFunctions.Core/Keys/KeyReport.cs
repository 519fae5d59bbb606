namespace McpFunctions.Core.Keys;

/// <summary>How far a rotation has got: credentials per key version, and which old versions nothing needs any more.</summary>
/// <param name="SettledAt">When every instance has surely picked up the current version (<see cref="KeyRingState.CurrentSince"/>
/// plus the refresh interval); null when only a restart changes the keys (local ring).</param>
/// <param name="Keys">Every key id that is held or that some credential is sealed under, newest held first.</param>
/// <param name="NotUnderCurrent">Credentials sealed under any key other than the current one.</param>
/// <param name="Unused">Held versions, other than the current one, that no credential is sealed under.</param>
/// <param name="SafeToDisable"><paramref name="Unused"/> once <paramref name="SettledAt"/> has passed; empty before, since an
/// instance that has not refreshed yet may still seal new credentials under an older version.</param>
/// <param name="NotHeld">Key ids credentials are sealed under that this ring does not hold: those credentials cannot be opened.</param>
public sealed record KeyReport(
    string Source,
    bool CanRotate,
    string CurrentKeyId,
    DateTimeOffset? CurrentSince,
    DateTimeOffset? SettledAt,
    IReadOnlyList<KeyUsage> Keys,
    int TotalCredentials,
    int NotUnderCurrent,
    IReadOnlyList<string> Unused,
    IReadOnlyList<string> SafeToDisable,
    IReadOnlyList<string> NotHeld);

/// <summary>One key id: how many credentials it seals, whether it is current and whether this ring holds it.</summary>
public sealed record KeyUsage(string KeyId, int Credentials, bool Current, bool Held);
