using McpFunctions.Core.Events;

namespace McpFunctions.Adapters.Webhooks;

/// <summary><see cref="IConnectionEvents"/> when no <c>WEBHOOK_URL</c> is set: nobody listens, so nothing is stored.</summary>
public sealed class DisabledConnectionEvents : IConnectionEvents
{
    public Task PublishAsync(ConnectionEvent connectionEvent, CancellationToken cancellationToken) => Task.CompletedTask;
}
