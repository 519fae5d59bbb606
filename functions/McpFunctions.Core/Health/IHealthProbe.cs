namespace McpFunctions.Core.Health;

/// <summary>Port: one dependency the health endpoint checks (throws when it is down).</summary>
public interface IHealthProbe
{
    string Name { get; }

    /// <summary>False for a dependency we serve without (a cache): its outage makes the service degraded, not unready.</summary>
    bool Required => true;

    Task CheckAsync(CancellationToken cancellationToken);
}
