using System.Globalization;
using McpFunctions.StandIns.Notion;

// `./run.sh --stand-ins` runs this: the Notion stand-in as a process of its own, seeded with one demo
// workspace, so that a newcomer without a Notion token or without network can walk through the README's
// connect → status → tools/call → disconnect against something that answers as Notion documents.
// It writes the settings the LocalHost needs to the file named by its one argument, then serves until
// it is stopped (Ctrl+C or SIGTERM).
if (args is not [var envFile])
{
    Console.Error.WriteLine("usage: McpFunctions.StandIns ENV_FILE");
    return 2;
}

await using var notion = await NotionStandIn.StartAsync();
var key = notion.AddIntegration("Demo Workspace", "Demo Bot");
var roadmap = notion.AddPage(key, "Roadmap");
notion.AddBlocks(key, roadmap, ["Q1: connect Notion through McpFunctions", "Q2: Qlik Cloud and GitHub by OAuth"]);
notion.AddPage(key, "Meeting notes");

// Written whole, then renamed, so a reader never sees half a file.
var partial = envFile + ".partial";
await File.WriteAllLinesAsync(partial,
[
    string.Create(CultureInfo.InvariantCulture, $"Providers__notion__BaseUrl={notion.BaseUrl}"),
    $"NOTION_DEMO_KEY={key}",
]);
File.Move(partial, envFile, overwrite: true);
Console.Error.WriteLine($"Notion stand-in on {notion.BaseUrl} (workspace \"Demo Workspace\")");

using var stopping = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stopping.Cancel();
};
using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(
    System.Runtime.InteropServices.PosixSignal.SIGTERM,
    context =>
    {
        context.Cancel = true;
        stopping.Cancel();
    });
try
{
    await Task.Delay(Timeout.Infinite, stopping.Token);
}
catch (OperationCanceledException) when (stopping.IsCancellationRequested)
{
    // Stopped by Ctrl+C or SIGTERM: dispose the server and exit normally.
}

return 0;
