using McpFunctions.Core.Connections;
using McpFunctions.Core.Credentials;
using Microsoft.Extensions.DependencyInjection;

namespace McpFunctions.Tests.Fixtures;

/// <summary>Shortcuts to the host's own services, for tests that inspect or tamper with stored state.</summary>
public static class ServiceProviderExtensions
{
    public static IConnectionStore GetStore(this IServiceProvider services) => services.GetRequiredService<IConnectionStore>();

    public static CredentialProtector GetProtector(this IServiceProvider services) => services.GetRequiredService<CredentialProtector>();
}
