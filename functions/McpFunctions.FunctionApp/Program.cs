using McpFunctions.Http.Composition;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

// The same registration as the LocalHost; routes come from the [HttpTrigger] functions, and the
// scheduled jobs run as [TimerTrigger] functions instead of the LocalHost's background runner.
var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.AddMcpFunctions();
builder.Build().Run();
