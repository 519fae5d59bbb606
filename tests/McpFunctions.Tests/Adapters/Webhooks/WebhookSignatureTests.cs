using System.Text;
using McpFunctions.Adapters.Webhooks;
using McpFunctions.Tests.Integration.Webhooks;

namespace McpFunctions.Tests.Adapters.Webhooks;

public sealed class WebhookSignatureTests
{
    private const string Secret = "0123456789abcdef0123456789abcdef";
    private const string Body = """{"id":"evt_1","type":"connection.created"}""";

    [Fact]
    public void Create_MatchesAnIndependentlyComputedVector()
    {
        // printf '%s' '1700000000.<body>' | openssl dgst -sha256 -hmac '<secret>'
        var header = WebhookSignature.Create(Encoding.UTF8.GetBytes(Secret), 1_700_000_000, Encoding.UTF8.GetBytes(Body));

        Assert.Equal("t=1700000000,v1=2566c800e71860d702a216cd9491ce2e8cc0c233b30a27165e7e55fa4e8e1a16", header);
    }

    [Fact]
    public void Verify_DocumentedAlgorithm_AcceptsOnlyTheRightSecretBodyAndTime()
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        var body = Encoding.UTF8.GetBytes(Body);
        var header = WebhookSignature.Create(Encoding.UTF8.GetBytes(Secret), now.ToUnixTimeSeconds(), body);
        var tolerance = TimeSpan.FromMinutes(5);

        Assert.True(WebhookVerifier.Verify(Secret, header, body, tolerance, now));
        Assert.False(WebhookVerifier.Verify(Secret.ToUpperInvariant(), header, body, tolerance, now));
        Assert.False(WebhookVerifier.Verify(Secret, header, Encoding.UTF8.GetBytes(Body.Replace("evt_1", "evt_2", StringComparison.Ordinal)), tolerance, now));
        Assert.False(WebhookVerifier.Verify(Secret, header.Replace("t=1700000000", "t=1700000001", StringComparison.Ordinal), body, tolerance, now));
        Assert.False(WebhookVerifier.Verify(Secret, header, body, tolerance, now.AddMinutes(6)));
        Assert.False(WebhookVerifier.Verify(Secret, "v1=abc", body, tolerance, now));
    }
}
