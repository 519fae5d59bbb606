using System.Net;
using System.Net.Sockets;

namespace McpFunctions.Tests.Fixtures;

/// <summary>A loopback port nothing listens on (the kernel picks it; a tiny race until someone binds it).</summary>
public static class LoopbackPort
{
    public static int Unused()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
