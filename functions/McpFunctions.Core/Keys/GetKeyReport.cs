using McpFunctions.Core.Connections;

namespace McpFunctions.Core.Keys;

/// <summary>Use case: the operator's report of a rotation (a cross-partition scan of key ids; an admin path, not a hot one).</summary>
public sealed class GetKeyReport(IKeyRotation rotation, IConnectionStore store, TimeProvider clock)
{
    public async Task<KeyReport> ExecuteAsync(CancellationToken cancellationToken)
    {
        var state = await rotation.DescribeAsync(cancellationToken);
        var counts = await store.CountByKeyAsync(cancellationToken);
        var held = new HashSet<string>(state.KeyIds, StringComparer.Ordinal);
        var keys = state.KeyIds
            .Select(id => new KeyUsage(id, counts.GetValueOrDefault(id), id == state.CurrentKeyId, Held: true))
            .Concat(counts.Keys.Where(id => !held.Contains(id)).Order(StringComparer.Ordinal).Select(id => new KeyUsage(id, counts[id], Current: false, Held: false)))
            .ToList();
        var unused = keys.Where(k => k is { Held: true, Current: false, Credentials: 0 }).Select(k => k.KeyId).ToList();
        var settledAt = state.CurrentSince + state.PropagationDelay;
        var settled = settledAt is not { } at || clock.GetUtcNow() >= at;
        return new KeyReport(
            state.Source,
            state.CanRotate,
            state.CurrentKeyId,
            state.CurrentSince,
            settledAt,
            keys,
            TotalCredentials: counts.Values.Sum(),
            NotUnderCurrent: keys.Where(k => !k.Current).Sum(k => k.Credentials),
            unused,
            SafeToDisable: settled ? unused : [],
            NotHeld: [.. keys.Where(k => !k.Held).Select(k => k.KeyId)]);
    }
}
