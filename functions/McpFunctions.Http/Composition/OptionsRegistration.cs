using McpFunctions.Core.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace McpFunctions.Http.Composition;

/// <summary>The one way a settings class is registered: bound from its section, validated by its own
/// <see cref="IValidatedOptions.Problems"/>, and refused at start-up when anything is wrong.</summary>
public static class OptionsRegistration
{
    /// <summary>Binds <typeparamref name="TOptions"/> to <paramref name="section"/> (<c>""</c>: setting names at the root, as
    /// <c>[ConfigurationKeyName]</c> gives them) for <c>IOptions&lt;TOptions&gt;</c>, and checks the values now.</summary>
    /// <returns>The bound values, for composition decisions taken while registering (which key ring, whether webhooks are on).</returns>
    /// <exception cref="InvalidOperationException">The settings have problems; the message lists them all.</exception>
    public static TOptions AddValidatedOptions<TOptions>(this IServiceCollection services, IConfiguration configuration, string section)
        where TOptions : class, IValidatedOptions, new()
    {
        services.AddOptions<TOptions>().BindConfiguration(section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TOptions>, ProblemsValidator<TOptions>>());

        // Also now, while registering: the hosts build before they start, and a host that cannot be built must say why.
        var bound = new TOptions();
        (section.Length == 0 ? configuration : configuration.GetSection(section)).Bind(bound);
        var problems = bound.Problems();
        return problems.Count == 0
            ? bound
            : throw new InvalidOperationException("Invalid configuration: " + string.Join(" ", problems));
    }

    private sealed class ProblemsValidator<TOptions> : IValidateOptions<TOptions>
        where TOptions : class, IValidatedOptions
    {
        public ValidateOptionsResult Validate(string? name, TOptions options) =>
            options.Problems() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
    }
}
