namespace McpFunctions.Core.Health;

/// <summary>Port: one dependency the health endpoint checks (throws when it is down).</summary>
public interface IHealthProbe
{
    string Name { get; }

    Task CheckAsync(CancellationToken cancellationToken);
}
