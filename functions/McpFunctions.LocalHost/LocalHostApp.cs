using McpFunctions.Http.Composition;
using McpFunctions.Http.Jobs;

namespace McpFunctions.LocalHost;

/// <summary>Builds the Kestrel host: the shared registration and routes, plus the runner that stands in for timer triggers.</summary>
public static class LocalHostApp
{
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        // Content root = the build output, so appsettings are found whatever the working directory.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        configure?.Invoke(builder);
        builder.AddMcpFunctions();
        builder.AddScheduledJobRunner();
        var app = builder.Build();
        app.MapMcpFunctions();
        return app;
    }
}
