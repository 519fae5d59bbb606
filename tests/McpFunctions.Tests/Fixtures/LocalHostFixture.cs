namespace McpFunctions.Tests.Fixtures;

/// <summary>One LocalHost shared by a test collection; tests isolate themselves by using fresh user ids.</summary>
public sealed class LocalHostFixture : IAsyncLifetime
{
    private TestHost? host;

    public TestHost Host => host ?? throw new InvalidOperationException("The host has not started.");

    public async Task InitializeAsync() => host = await TestHost.StartAsync();

    public async Task DisposeAsync()
    {
        if (host is not null)
        {
            await host.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class LocalHostCollection : ICollectionFixture<LocalHostFixture>
{
    public const string Name = "LocalHost";
}
