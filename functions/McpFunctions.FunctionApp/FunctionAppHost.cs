using McpFunctions.Http.Composition;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace McpFunctions.FunctionApp;

/// <summary>The Function App's composition: the same registration as the LocalHost; routes come from the
/// [HttpTrigger] functions, and the scheduled jobs run as [TimerTrigger] functions instead of the LocalHost's
/// background runner.</summary>
/// <remarks>A method rather than top-level statements so that a test builds the very same host and resolves
/// every function class, and a registration error fails in ./test.sh rather than in Azure.</remarks>
public static class FunctionAppHost
{
    public static IHost Build(string[] args, IEnumerable<KeyValuePair<string, string?>>? overrides = null)
    {
        var builder = FunctionsApplication.CreateBuilder(args);
        if (overrides is not null)
        {
            builder.Configuration.AddInMemoryCollection(overrides);
        }

        builder.ConfigureFunctionsWebApplication();
        builder.AddMcpFunctions();
        return builder.Build();
    }
}
