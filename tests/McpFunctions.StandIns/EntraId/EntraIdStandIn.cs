using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace McpFunctions.StandIns.EntraId;

/// <summary>Stand-in for an Entra ID (OpenID Connect) issuer: discovery document and JWKS, with RS256 keys.</summary>
/// <remarks>Serves only what a resource server reads: <c>/.well-known/openid-configuration</c> (issuer,
/// jwks_uri) and the JWKS. Tokens are signed in-process by <see cref="Sign"/>.</remarks>
public sealed class EntraIdStandIn : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly RSA key = RSA.Create(2048);

    private EntraIdStandIn(WebApplication app)
    {
        this.app = app;
    }

    public const string KeyId = "standin-key-1";

    public Uri Issuer { get; private set; } = null!;

    public RSA SigningKey => key;

    public static async Task<EntraIdStandIn> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var standIn = new EntraIdStandIn(app);
        app.MapGet("/.well-known/openid-configuration", (Delegate)standIn.Discovery);
        app.MapGet("/discovery/keys", (Delegate)standIn.Keys);
        await app.StartAsync();
        standIn.Issuer = StandInHosting.BaseUrl(app, "http");
        return standIn;
    }

    public async ValueTask DisposeAsync()
    {
        await StandInHosting.StopAndDisposeAsync(app);
        key.Dispose();
    }

    private Task Discovery(HttpContext http)
    {
        var issuer = Issuer.ToString().TrimEnd('/');
        var document = new JsonObject
        {
            ["issuer"] = issuer,
            ["jwks_uri"] = issuer + "/discovery/keys",
            ["id_token_signing_alg_values_supported"] = new JsonArray("RS256"),
        };
        return WriteJson(http, document);
    }

    private Task Keys(HttpContext http)
    {
        var parameters = key.ExportParameters(includePrivateParameters: false);
        var jwk = new JsonObject
        {
            ["kty"] = "RSA",
            ["use"] = "sig",
            ["kid"] = KeyId,
            ["alg"] = "RS256",
            ["n"] = Base64Url(parameters.Modulus!),
            ["e"] = Base64Url(parameters.Exponent!),
        };
        return WriteJson(http, new JsonObject { ["keys"] = new JsonArray(jwk) });
    }

    private static Task WriteJson(HttpContext http, JsonNode node)
    {
        http.Response.ContentType = "application/json";
        return http.Response.WriteAsync(node.ToJsonString());
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
