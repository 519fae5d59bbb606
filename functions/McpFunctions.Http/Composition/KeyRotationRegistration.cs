using McpFunctions.Core.Credentials;
using McpFunctions.Core.Jobs;
using McpFunctions.Core.Keys;
using McpFunctions.Http.Admin;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace McpFunctions.Http.Composition;

/// <summary>Key rotation: the operator's report and rotation commands, and the re-wrap job.</summary>
public static class KeyRotationRegistration
{
    /// <summary>Registers the rotation services; invalid <c>Rewrap</c> or <c>Auth:AdminRole</c> settings fail here, naming the setting.</summary>
    public static IServiceCollection AddKeyRotation(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<RewrapOptions>(configuration, RewrapOptions.Section);
        services.AddValidatedOptions<AdminOptions>(configuration, AdminOptions.Section);
        // The job lives in Core, which takes plain settings rather than IOptions.
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<RewrapOptions>>().Value);

        // Both key rings (Key Vault and local) describe themselves; only Key Vault can add versions.
        services.AddSingleton(sp => sp.GetRequiredService<IKeyRing>() as IKeyRotation
            ?? throw new InvalidOperationException($"The configured key ring ({sp.GetRequiredService<IKeyRing>().GetType().Name}) does not support key rotation."));
        services.AddSingleton<GetKeyReport>();
        services.AddSingleton<RotateKeys>();
        services.AddSingleton<KeyRewrapJob>();
        services.AddSingleton<IScheduledJob>(sp => sp.GetRequiredService<KeyRewrapJob>());
        return services;
    }
}
