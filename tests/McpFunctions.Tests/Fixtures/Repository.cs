namespace McpFunctions.Tests.Fixtures;

/// <summary>The checkout the tests run from: the folder above the test output that holds <c>McpFunctions.sln</c>.</summary>
public static class Repository
{
    private static readonly Lazy<string> RootPath = new(() =>
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "McpFunctions.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No McpFunctions.sln above {AppContext.BaseDirectory}.");
    });

    public static string Root => RootPath.Value;
}
