using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace McpFunctions.StandIns;

/// <summary>What every stand-in's Kestrel host does the same way: find its loopback port, stop within bounds.</summary>
public static class StandInHosting
{
    /// <summary>The started app's base URL on 127.0.0.1 (it listens on port 0, so the port is read back).</summary>
    public static Uri BaseUrl(WebApplication app, string scheme)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses;
        var port = new Uri(addresses.First()).Port;
        return new Uri($"{scheme}://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/");
    }

    /// <summary>Stops gracefully for up to 5 seconds, then disposes, which aborts whatever is still running.</summary>
    public static async Task StopAndDisposeAsync(WebApplication app)
    {
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            try
            {
                await app.StopAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                // Shutdown took too long; disposing below aborts what is left.
            }
        }

        await app.DisposeAsync();
    }
}
