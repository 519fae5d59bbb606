namespace McpFunctions.Core.Keys;

/// <summary>What one re-wrap pass did.</summary>
/// <param name="CurrentKeyId">The key the pass re-wrapped under.</param>
/// <param name="Rewrapped">Credentials whose data key is now wrapped by the current key.</param>
/// <param name="Skipped">Credentials left alone: already current when re-read (written concurrently), deleted meanwhile,
/// or still changing after several lost races (the next pass takes them).</param>
/// <param name="Failed">Credentials whose data key could not be unwrapped (their key version is gone, disabled or unreachable).</param>
/// <param name="FailedByKey"><paramref name="Failed"/> per key id.</param>
/// <param name="Remaining">Credentials still under older keys after the pass (those that failed included); null when
/// the pass was stopped before it could tell.</param>
/// <param name="Complete">True when nothing is left that a pass could re-wrap now: <paramref name="Remaining"/> are all failures or conflicts.</param>
public sealed record RewrapResult(
    string CurrentKeyId,
    int Rewrapped,
    int Skipped,
    int Failed,
    IReadOnlyDictionary<string, int> FailedByKey,
    int? Remaining,
    bool Complete);
