using McpFunctions.Http.Composition;

namespace McpFunctions.LocalHost;

/// <summary>Builds the Kestrel host: the shared registration and routes, nothing else.</summary>
public static class LocalHostApp
{
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        // Content root = the build output, so appsettings are found whatever the working directory.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        configure?.Invoke(builder);
        builder.AddMcpFunctions();
        var app = builder.Build();
        app.MapMcpFunctions();
        return app;
    }
}
