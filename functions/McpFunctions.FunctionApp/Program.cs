using McpFunctions.FunctionApp;
using Microsoft.Extensions.Hosting;

FunctionAppHost.Build(args).Run();
