namespace McpFunctions.StandIns;

/// <summary>Failures a stand-in serves instead of answering: "the next N requests get status S".</summary>
/// <remarks>Thread-safe. Batches queue up: a second <see cref="Add"/> applies once the first is used up.</remarks>
public sealed class FaultQueue
{
    private readonly Queue<Batch> batches = new();
    private readonly Lock gate = new();

    /// <param name="retryAfter">Sent as <c>Retry-After</c>; a 429 gets 1 second when none is given.</param>
    public void Add(int count, int status, TimeSpan? retryAfter = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfLessThan(status, 400);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(status, 599);
        if (retryAfter is { } r)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(r, TimeSpan.Zero, nameof(retryAfter));
        }

        if (count == 0)
        {
            return;
        }

        lock (gate)
        {
            batches.Enqueue(new Batch(new InjectedFault(status, status == 429 ? retryAfter ?? TimeSpan.FromSeconds(1) : retryAfter), count));
        }
    }

    /// <summary>The failure to serve for this request, or null to answer normally.</summary>
    public InjectedFault? TakeNext()
    {
        lock (gate)
        {
            if (!batches.TryPeek(out var batch))
            {
                return null;
            }

            if (--batch.Remaining == 0)
            {
                batches.Dequeue();
            }

            return batch.Fault;
        }
    }

    private sealed class Batch(InjectedFault fault, int remaining)
    {
        public InjectedFault Fault { get; } = fault;

        public int Remaining { get; set; } = remaining;
    }
}

/// <summary>One injected failure: the status and the <c>Retry-After</c> to send with it.</summary>
public sealed record InjectedFault(int Status, TimeSpan? RetryAfter);
