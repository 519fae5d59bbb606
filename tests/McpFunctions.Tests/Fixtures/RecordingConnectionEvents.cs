using System.Collections.Concurrent;
using McpFunctions.Core.Events;

namespace McpFunctions.Tests.Fixtures;

/// <summary>Keeps every connection event published, in order.</summary>
internal sealed class RecordingConnectionEvents : IConnectionEvents
{
    private readonly ConcurrentQueue<ConnectionEvent> published = new();

    public IReadOnlyList<ConnectionEvent> Published => [.. published];

    /// <summary>The types published, in order.</summary>
    public IReadOnlyList<string> Types => [.. published.Select(e => e.Type)];

    public Task PublishAsync(ConnectionEvent connectionEvent, CancellationToken cancellationToken)
    {
        published.Enqueue(connectionEvent);
        return Task.CompletedTask;
    }
}
