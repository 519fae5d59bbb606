using McpFunctions.BenchPeer;

// The bench starts this with NOTION_BASE_URL (the stand-in) and NOTION_API_KEY in the environment.
var builder = WebApplication.CreateBuilder(args);
builder.Services.AddBenchPeer();

var app = builder.Build();
app.MapMcp(BenchPeerServices.McpPath);
app.MapGet(BenchPeerServices.HealthPath, () => TypedResults.Ok());
await app.RunAsync();
