using McpFunctions.Http.Composition;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace McpFunctions.Bench;

/// <summary>The LocalHost's service graph (the shared <c>AddMcpFunctions</c> registration) built in the bench process,
/// from the same <c>__</c>-separated settings the LocalHost gets as environment, without Kestrel.</summary>
/// <remarks>The app is built, never started: no hosted service (startup warm-up, scheduled jobs) runs in it.</remarks>
public static class InProcessComposition
{
    /// <param name="settings">The LocalHost's environment, <c>__</c>-separated as there.</param>
    /// <param name="adjust">Changes to the registration after <c>AddMcpFunctions</c> (measuring decorators).</param>
    public static WebApplication Build(IReadOnlyDictionary<string, string> settings, Action<IServiceCollection>? adjust = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            EnvironmentName = Environments.Production,
            ContentRootPath = AppContext.BaseDirectory,
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
        });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key.Replace("__", ":", StringComparison.Ordinal), s.Value)));
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddMcpFunctions();
        adjust?.Invoke(builder.Services);
        return builder.Build();
    }

    /// <summary>Replaces the last registration of <typeparamref name="TService"/> by a singleton wrapping it.</summary>
    public static void Decorate<TService>(this IServiceCollection services, Func<IServiceProvider, TService, TService> decorate)
        where TService : class
    {
        var descriptor = services.Last(d => d.ServiceType == typeof(TService));
        services.Remove(descriptor);
        services.AddSingleton(sp => decorate(sp, (TService)(
            descriptor.ImplementationInstance
            ?? descriptor.ImplementationFactory?.Invoke(sp)
            ?? ActivatorUtilities.CreateInstance(sp, descriptor.ImplementationType!))));
    }
}
