using System.Net;
using McpFunctions.Adapters.ProviderHttp;
using McpFunctions.Core.Errors;
using McpFunctions.Core.Providers;
using McpFunctions.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace McpFunctions.Tests.Adapters.ProviderHttp;

/// <summary>A provider failing for one tenant pauses that tenant's calls only.</summary>
[Collection(LocalHostCollection.Name)]
public sealed class ProviderCircuitTests(LocalHostFixture fixture)
{
    [Fact]
    public async Task Circuit_OpenedByOneTenant_LeavesAnotherTenantsCallsAlone()
    {
        var client = fixture.Host.Services.GetRequiredService<IProviderClient>();
        var catalog = fixture.Host.Services.GetRequiredService<ProviderCatalog>();
        // A base URL where nothing listens: every call fails at the transport, a provider-side failure.
        var dead = catalog.Get("notion") with { Api = catalog.Get("notion").Api with { BaseUrl = new Uri($"http://127.0.0.1:{LoopbackPort.Unused()}/") } };
        var tenant = "circuit-" + Guid.NewGuid().ToString("N");
        var call = new ProviderCall("POST", "/v1/search");

        McpFunctionsException? last = null;
        for (var i = 0; i < 30 && last?.Message.Contains("paused", StringComparison.Ordinal) != true; i++)
        {
            last = await Assert.ThrowsAsync<McpFunctionsException>(() => client.SendAsync(dead, tenant, call, "secret_x", CancellationToken.None));
        }

        Assert.Contains("paused", last!.Message, StringComparison.Ordinal);
        var other = await Assert.ThrowsAsync<McpFunctionsException>(() => client.SendAsync(dead, tenant + "-other", call, "secret_x", CancellationToken.None));
        Assert.Contains("could not be reached", other.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_CredentialNoHeaderCanCarry_IsAValidationErrorBeforeAnyRequest()
    {
        var client = fixture.Host.Services.GetRequiredService<IProviderClient>();
        var catalog = fixture.Host.Services.GetRequiredService<ProviderCatalog>();

        var ex = await Assert.ThrowsAsync<McpFunctionsException>(
            () => client.SendAsync(catalog.Get("notion"), "acme", new ProviderCall("GET", "/v1/users/me"), "secret_\u00e4\r\nX-Injected: 1", CancellationToken.None));

        Assert.Equal(ErrorCode.ValidationError, ex.Code);
        Assert.DoesNotContain("secret_", ex.Message, StringComparison.Ordinal);
    }
}
