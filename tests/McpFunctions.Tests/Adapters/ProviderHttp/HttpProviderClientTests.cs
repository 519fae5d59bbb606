using McpFunctions.Adapters.ProviderHttp;
using McpFunctions.Core.Errors;

namespace McpFunctions.Tests.Adapters.ProviderHttp;

/// <summary>The last check before a user's secret leaves: a rendered path may only ever name a URL under the provider's base.</summary>
public sealed class HttpProviderClientTests
{
    private static readonly Uri Base = new("https://api.example.com");
    private static readonly Uri PrefixedBase = new("https://tenant.example.com/api/");

    [Theory]
    [InlineData("/v1/pages/abc", "https://api.example.com/v1/pages/abc")]
    [InlineData("/v1/pages/abc?filter=a%2Fb&x=..", "https://api.example.com/v1/pages/abc?filter=a%2Fb&x=..")]
    [InlineData("/v1/pages/a%20b", "https://api.example.com/v1/pages/a%20b")]
    [InlineData("/v1/users/me", "https://api.example.com/v1/users/me")]
    [InlineData("/v1/pages/report.v2", "https://api.example.com/v1/pages/report.v2")]
    public void ResolveUnderBase_PathUnderTheBase_IsTheBasePlusThePath(string pathAndQuery, string expected)
    {
        Assert.Equal(new Uri(expected), HttpProviderClient.ResolveUnderBase(Base, pathAndQuery));
    }

    [Theory]
    [InlineData("https://tenant.example.com/api/")]
    [InlineData("https://tenant.example.com/api")]
    public void ResolveUnderBase_BaseWithAPathPrefix_KeepsThePrefix(string baseUrl)
    {
        var target = HttpProviderClient.ResolveUnderBase(new Uri(baseUrl), "/v1/items?limit=2&next=c%2B1%3D");

        Assert.Equal("https://tenant.example.com/api/v1/items?limit=2&next=c%2B1%3D", target.AbsoluteUri);
    }

    [Fact]
    public void ResolveUnderBase_LoopbackBaseWithPort_KeepsThePort()
    {
        var target = HttpProviderClient.ResolveUnderBase(new Uri("http://127.0.0.1:5123/"), "/v1/x");

        Assert.Equal("http://127.0.0.1:5123/v1/x", target.AbsoluteUri);
    }

    [Theory]
    [InlineData("")]
    [InlineData("v1/pages")]
    [InlineData("//evil.example/x")]
    [InlineData("///evil.example/x")]
    [InlineData("https://evil.example/x")]
    [InlineData("http://api.example.com/v1/x")] // same host, other scheme
    [InlineData("https://api.example.com:8443/v1/x")] // same host, other port
    [InlineData("https://api.example.com.evil.example/v1/x")]
    [InlineData("/\\evil.example/x")]
    [InlineData("/v1\\..\\admin")]
    [InlineData("/v1/../admin")]
    [InlineData("/../admin")]
    [InlineData("/v1/pages/..")]
    [InlineData("/v1/%2e%2e/admin")]
    [InlineData("/v1/%2E%2E/%2E%2E/admin")]
    [InlineData("/v1/.%2e/admin")]
    [InlineData("/v1/pages/..%2f..%2fadmin")]
    [InlineData("/v1/pages/..%2F..%2Fadmin")]
    [InlineData("/v1/pages/%2e%2e%2f%2e%2e%2fadmin")]
    [InlineData("/v1/pages/%252e%252e%252fadmin")]
    [InlineData("/v1/pages/..%5c..%5cadmin")]
    [InlineData("/v1/pages/%5c%5cevil.example")]
    public void ResolveUnderBase_PathLeavingTheBase_IsRefused(string pathAndQuery)
    {
        var error = Assert.Throws<McpFunctionsException>(() => HttpProviderClient.ResolveUnderBase(Base, pathAndQuery));

        Assert.Equal(ErrorCode.ValidationError, error.Code);
    }

    [Theory]
    [InlineData("/../other")]
    [InlineData("/%2e%2e/other")]
    [InlineData("/..%2fother")]
    [InlineData("//evil.example/api/x")]
    public void ResolveUnderBase_PathLeavingABasePrefix_IsRefused(string pathAndQuery)
    {
        var error = Assert.Throws<McpFunctionsException>(() => HttpProviderClient.ResolveUnderBase(PrefixedBase, pathAndQuery));

        Assert.Equal(ErrorCode.ValidationError, error.Code);
    }
}
