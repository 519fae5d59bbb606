using McpFunctions.Core.Security;

namespace McpFunctions.Tests.Core.Security;

public sealed class SecureUrlTests
{
    [Theory]
    [InlineData("https://api.example.com/v1")]
    [InlineData("https://127.0.0.1:8443/")]
    [InlineData("http://127.0.0.1:5000/callback")]
    [InlineData("http://localhost:7071/")]
    [InlineData("http://[::1]:7071/")]
    public void Allowed(string url)
    {
        Assert.True(SecureUrl.TryParse(url, out var parsed));
        Assert.True(SecureUrl.IsAllowed(parsed));
    }

    [Theory]
    [InlineData("http://api.example.com/")] // http off loopback
    [InlineData("ftp://127.0.0.1/")] // another scheme, even on loopback (was accepted by some of the checks this replaced)
    [InlineData("file:///etc/passwd")]
    [InlineData("ws://127.0.0.1/")]
    [InlineData("/relative/path")]
    [InlineData("")]
    [InlineData(null)]
    public void Refused(string? url)
    {
        Assert.False(SecureUrl.TryParse(url, out _));
    }
}
