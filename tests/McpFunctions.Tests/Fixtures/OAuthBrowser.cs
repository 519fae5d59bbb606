using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;

namespace McpFunctions.Tests.Fixtures;

/// <summary>A PKCE pair (RFC 7636): a random verifier and its S256 challenge.</summary>
public sealed record OAuthPkce(string Verifier, string Challenge)
{
    public static OAuthPkce Create()
    {
        var verifier = Base64Url(RandomNumberGenerator.GetBytes(32)); // 43 characters
        return new OAuthPkce(verifier, Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))));
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>The user's browser in the authorization code flow against <see cref="OAuthServer"/>, over plain HTTP.</summary>
/// <remarks>Keeps cookies (the provider's interaction and session cookies) and follows redirects itself: GET the
/// authorize URL, follow the provider's redirects to its interaction page, submit login + consent (or deny),
/// follow the redirects until one leaves for the client's <c>redirect_uri</c>, and return that URL without
/// requesting it. One instance is one browser profile: a second authorization reuses the provider's session.</remarks>
public sealed class OAuthBrowser : IDisposable
{
    public const string DefaultLogin = "alice";

    private const int MaxHops = 20;

    private readonly HttpClient http;

    public OAuthBrowser()
    {
        var handler = new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = new CookieContainer() };
        http = new HttpClient(handler, disposeHandler: true) { Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Accept.ParseAdd("text/html");
    }

    /// <summary>How many interaction pages (login/consent) the last run went through.</summary>
    public int Interactions { get; private set; }

    /// <summary>Logs in as <paramref name="login"/> and consents to the requested scopes; returns the redirect to the
    /// client's <c>redirect_uri</c> (with <c>code</c> and <c>state</c>, or an <c>error</c> the provider chose).</summary>
    public Task<Uri> ApproveAsync(Uri authorizeUrl, string login = DefaultLogin) =>
        RunAsync(authorizeUrl, interaction => Form(new Uri(interaction + "/login"), ("login", login)));

    /// <summary>Denies at the interaction; the returned redirect carries <c>error=access_denied</c>.</summary>
    public Task<Uri> DenyAsync(Uri authorizeUrl) =>
        RunAsync(authorizeUrl, interaction => Form(new Uri(interaction + "/abort")));

    /// <summary>The query parameters of <paramref name="url"/> (e.g. the returned redirect), last value wins.</summary>
    public static IReadOnlyDictionary<string, string> Query(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        return QueryHelpers.ParseQuery(url.Query).ToDictionary(p => p.Key, p => p.Value.LastOrDefault() ?? "", StringComparer.Ordinal);
    }

    public void Dispose() => http.Dispose();

    private async Task<Uri> RunAsync(Uri authorizeUrl, Func<string, HttpRequestMessage> submit)
    {
        ArgumentNullException.ThrowIfNull(authorizeUrl);
        Interactions = 0;
        var redirectUri = Query(authorizeUrl).TryGetValue("redirect_uri", out var value) ? new Uri(value) : null;
        using var first = new HttpRequestMessage(HttpMethod.Get, authorizeUrl);
        var request = first;
        var owned = new List<HttpRequestMessage>();
        try
        {
            for (var hop = 0; hop < MaxHops; hop++)
            {
                using var response = await http.SendAsync(request);
                var status = (int)response.StatusCode;
                if (status is >= 300 and < 400 && response.Headers.Location is { } location)
                {
                    var next = location.IsAbsoluteUri ? location : new Uri(request.RequestUri!, location);
                    if (LeavesProvider(next, authorizeUrl, redirectUri))
                    {
                        return next;
                    }

                    request = Track(owned, new HttpRequestMessage(HttpMethod.Get, next));
                    continue;
                }

                var body = await response.Content.ReadAsStringAsync();
                if (response.StatusCode == HttpStatusCode.OK && request.Method == HttpMethod.Get && IsInteraction(request.RequestUri!))
                {
                    Interactions++;
                    var page = request.RequestUri!.GetLeftPart(UriPartial.Path).TrimEnd('/');
                    request = Track(owned, submit(page));
                    continue;
                }

                throw new InvalidOperationException(
                    $"The browser got {status} for {request.Method} {request.RequestUri} instead of a redirect or an interaction page:\n{body}");
            }

            throw new InvalidOperationException($"More than {MaxHops} redirects from {authorizeUrl}.");
        }
        finally
        {
            foreach (var message in owned)
            {
                message.Dispose();
            }
        }
    }

    private static HttpRequestMessage Track(List<HttpRequestMessage> owned, HttpRequestMessage request)
    {
        owned.Add(request);
        return request;
    }

    private static bool IsInteraction(Uri url) => url.AbsolutePath.StartsWith("/interaction/", StringComparison.Ordinal);

    // The flow ends at the client's redirect_uri; without one in the request, at the first redirect off the provider.
    private static bool LeavesProvider(Uri next, Uri authorizeUrl, Uri? redirectUri) =>
        redirectUri is not null
            ? string.Equals(next.GetLeftPart(UriPartial.Path), redirectUri.GetLeftPart(UriPartial.Path), StringComparison.Ordinal)
            : !string.Equals(next.GetLeftPart(UriPartial.Authority), authorizeUrl.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase);

    private static HttpRequestMessage Form(Uri action, params (string Name, string Value)[] fields) =>
        new(HttpMethod.Post, action)
        {
            Content = new FormUrlEncodedContent(fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value))),
        };
}
