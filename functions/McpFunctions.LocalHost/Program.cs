using McpFunctions.LocalHost;

if (args is ["token", .. var tokenArgs])
{
    return TokenCommand.Run(tokenArgs);
}

await LocalHostApp.Create(args).RunAsync();
return 0;
