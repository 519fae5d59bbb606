using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;

namespace McpFunctions.Tests.StandIns;

/// <summary>A plain HTTP client walking a stand-in's OAuth endpoints, as a browser and a token client would.</summary>
internal sealed class OAuthDance : IDisposable
{
    private readonly HttpClient http = new(new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(30) };

    public HttpClient Http => http;

    /// <summary>A fresh PKCE verifier (43 base64url characters) and its S256 challenge.</summary>
    public static (string Verifier, string Challenge) NewPkce()
    {
        var verifier = Base64Url(RandomNumberGenerator.GetBytes(32));
        return (verifier, Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))));
    }

    /// <summary>GETs the authorize URL with these parameters and returns the response (a redirect when all is well).</summary>
    public async Task<HttpResponseMessage> AuthorizeAsync(Uri authorizeUrl, params (string Name, string? Value)[] parameters)
    {
        var url = QueryHelpers.AddQueryString(authorizeUrl.AbsoluteUri, parameters.Where(p => p.Value is not null).Select(p => new KeyValuePair<string, string?>(p.Name, p.Value)));
        return await http.GetAsync(new Uri(url));
    }

    /// <summary>Authorizes and returns the code from the redirect, failing the test when the redirect carries none.</summary>
    public async Task<string> CodeAsync(Uri authorizeUrl, params (string Name, string? Value)[] parameters)
    {
        using var response = await AuthorizeAsync(authorizeUrl, parameters);
        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        return Query(response.Headers.Location!, "code") ?? throw new InvalidOperationException($"No code in {response.Headers.Location}");
    }

    public static string? Query(Uri uri, string name) =>
        QueryHelpers.ParseQuery(uri.Query).TryGetValue(name, out var value) ? value.ToString() : null;

    public Task<HttpResponseMessage> PostFormAsync(Uri url, IEnumerable<(string Name, string Value)> form, Action<HttpRequestMessage>? adjust = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new FormUrlEncodedContent(form.Select(f => new KeyValuePair<string, string>(f.Name, f.Value))),
        };
        adjust?.Invoke(request);
        return http.SendAsync(request);
    }

    public Task<HttpResponseMessage> PostJsonAsync(Uri url, string json, Action<HttpRequestMessage>? adjust = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        adjust?.Invoke(request);
        return http.SendAsync(request);
    }

    public static AuthenticationHeaderValue Basic(string id, string secret) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{id}:{secret}")));

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    public void Dispose() => http.Dispose();

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>A clock a test moves by hand, so expiry is tested without waiting.</summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset now = start;

    public override DateTimeOffset GetUtcNow() => now;

    public void Advance(TimeSpan by) => now += by;
}
