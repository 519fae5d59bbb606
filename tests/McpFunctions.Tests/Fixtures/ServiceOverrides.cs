using Microsoft.Extensions.DependencyInjection;

namespace McpFunctions.Tests.Fixtures;

/// <summary>Applies a test's service replacements after the host's own registration, just before the container is built.</summary>
/// <remarks>The hosts register everything in <c>AddMcpFunctions</c>, after any callback a test can hook into; a
/// service-provider factory is the one place that runs later. Used to swap in what cannot exist locally, such as a
/// Key Vault key ring whose <c>SecretClient</c> talks to the Key Vault stand-in.</remarks>
public sealed class ServiceOverrides(Action<IServiceCollection> apply) : IServiceProviderFactory<IServiceCollection>
{
    private readonly DefaultServiceProviderFactory inner = new();

    public IServiceCollection CreateBuilder(IServiceCollection services)
    {
        apply(services);
        return services;
    }

    public IServiceProvider CreateServiceProvider(IServiceCollection containerBuilder) => inner.CreateServiceProvider(containerBuilder);
}
