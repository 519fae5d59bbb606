using McpFunctions.Core.Credentials;
using McpFunctions.Core.Health;

namespace McpFunctions.Adapters.KeyRing;

/// <summary>Health of whichever key ring is configured: it must yield a current key.</summary>
public sealed class KeyRingHealthProbe(IKeyRing keyRing) : IHealthProbe
{
    public string Name => "keyRing";

    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        await keyRing.CheckHealthAsync(cancellationToken);
        _ = await keyRing.GetCurrentAsync(cancellationToken);
    }
}
