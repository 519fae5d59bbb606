using McpFunctions.Http.Auth;

namespace McpFunctions.LocalHost;

/// <summary><c>token --user alice --tenant acme [--minutes 60]</c>: prints a JWT signed with the configured key.</summary>
/// <remarks>For local development only: it needs Auth:SigningKey, which production deployments do not set.</remarks>
public static class TokenCommand
{
    public static int Run(string[] args)
    {
        string? user = null, tenant = null;
        var minutes = 60;
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--user": user = value; i++; break;
                case "--tenant": tenant = value; i++; break;
                case "--minutes" when int.TryParse(value, out var m) && m is > 0 and <= 24 * 60: minutes = m; i++; break;
                default:
                    Console.Error.WriteLine($"Unknown argument '{args[i]}'. Usage: token --user ID --tenant ID [--minutes 1..1440]");
                    return 2;
            }
        }

        if (string.IsNullOrWhiteSpace(user) || string.IsNullOrWhiteSpace(tenant))
        {
            Console.Error.WriteLine("Usage: token --user ID --tenant ID [--minutes 1..1440]");
            return 2;
        }

        var configuration = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory }).Configuration;
        var options = configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();
        if (options.Problems() is { Count: > 0 } problems)
        {
            Console.Error.WriteLine("Cannot mint a token: " + string.Join(" ", problems));
            return 1;
        }

        Console.Error.WriteLine($"Token for user '{user}' in tenant '{tenant}', valid {minutes} minutes (audience {options.Audience}):");
        Console.WriteLine(DevelopmentTokens.Mint(options, user, tenant, TimeSpan.FromMinutes(minutes), DateTimeOffset.UtcNow));
        return 0;
    }
}
