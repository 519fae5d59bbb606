namespace McpFunctions.Core.Events;

/// <summary>The events port when no webhook is configured: nobody listens, so nothing is kept.</summary>
public sealed class IgnoredConnectionEvents : IConnectionEvents
{
    public Task PublishAsync(ConnectionEvent connectionEvent, CancellationToken cancellationToken) => Task.CompletedTask;
}
