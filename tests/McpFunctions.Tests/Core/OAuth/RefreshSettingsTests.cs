using McpFunctions.Core.OAuth;
using McpFunctions.Core.Providers;
using McpFunctions.Tests.Core.Tools;

namespace McpFunctions.Tests.Core.OAuth;

/// <summary>When a token set is next due (<see cref="RefreshSettings.RefreshAfter"/>): before the access token expires, and
/// before the refresh token lapses, whether by its own expiry (GitHub's <c>refresh_token_expires_in</c>) or by disuse
/// (the catalog's <c>refreshTokenIdleDays</c>).</summary>
public sealed class RefreshSettingsTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly OAuthSettings Plain = new("https://p.example/authorize", "https://p.example/token", RefreshMarginSeconds: 300);

    [Fact]
    public void RefreshAfter_ShortLivedAccessToken_TheMarginBeforeItExpires()
    {
        var due = RefreshSettings.RefreshAfter(Now, Now.AddHours(1), Now.AddDays(30), hasRefreshToken: true, Plain);

        Assert.Equal(Now.AddMinutes(55), due);
    }

    [Fact]
    public void RefreshAfter_LongLivedAccessTokenAndExpiringRefreshToken_ADayBeforeTheRefreshTokenLapses()
    {
        var due = RefreshSettings.RefreshAfter(Now, Now.AddDays(365), Now.AddDays(30), hasRefreshToken: true, Plain);

        Assert.Equal(Now.AddDays(29), due);
    }

    [Fact]
    public void RefreshAfter_LongLivedAccessTokenAndIdleLimit_HalfWayThroughTheIdleLimit()
    {
        var due = RefreshSettings.RefreshAfter(Now, Now.AddDays(365), null, hasRefreshToken: true, Plain with { RefreshTokenIdleDays = 30 });

        Assert.Equal(Now.AddDays(15), due);
    }

    [Fact]
    public void RefreshAfter_AccessTokenWithoutExpiryAndIdleLimit_HalfWayThroughTheIdleLimit()
    {
        var due = RefreshSettings.RefreshAfter(Now, null, null, hasRefreshToken: true, Plain with { RefreshTokenIdleDays = 10 });

        Assert.Equal(Now.AddDays(5), due);
    }

    [Fact]
    public void RefreshAfter_BothLapsesAndALongLivedAccessToken_TheEarliestOfThem()
    {
        var idle = Plain with { RefreshTokenIdleDays = 184 };

        Assert.Equal(Now.AddDays(19), RefreshSettings.RefreshAfter(Now, Now.AddDays(365), Now.AddDays(20), hasRefreshToken: true, idle));
        Assert.Equal(Now.AddDays(92), RefreshSettings.RefreshAfter(Now, Now.AddDays(365), Now.AddDays(200), hasRefreshToken: true, idle));
    }

    [Fact]
    public void RefreshAfter_RefreshTokenLapsingWithinTwoDays_HalfWayToTheLapseNotInThePast()
    {
        // "A day before" a lapse 12 hours away is 12 hours ago: the connection would be due at once after every refresh.
        var due = RefreshSettings.RefreshAfter(Now, Now.AddDays(30), Now.AddHours(12), hasRefreshToken: true, Plain);

        Assert.Equal(Now.AddHours(6), due);
    }

    [Fact]
    public void RefreshAfter_GitHubCatalogWithGitHubLifetimes_TheMarginBeforeTheEightHourExpiry()
    {
        // What GitHub answers: expires_in 28800, refresh_token_expires_in 15897600 (184 days); the catalog: margin 600 s, idle 184 days.
        var github = CatalogSamples.Provider("github").Auth.OAuth!;

        var due = RefreshSettings.RefreshAfter(Now, Now.AddSeconds(28800), Now.AddSeconds(15897600), hasRefreshToken: true, github);

        Assert.Equal(Now.AddHours(8).AddMinutes(-10), due);
    }

    [Fact]
    public void RefreshAfter_GitHubCatalogWithALongLivedAccessToken_BeforeIdleOrExpiryLapse()
    {
        var github = CatalogSamples.Provider("github").Auth.OAuth!;

        var due = RefreshSettings.RefreshAfter(Now, Now.AddDays(365), Now.AddSeconds(15897600), hasRefreshToken: true, github);

        Assert.Equal(Now.AddDays(92), due);
        Assert.Equal(Now.AddDays(2), RefreshSettings.RefreshAfter(Now, Now.AddDays(365), Now.AddDays(3), hasRefreshToken: true, github));
    }

    [Fact]
    public void RefreshAfter_NoRefreshToken_Never()
    {
        Assert.Null(RefreshSettings.RefreshAfter(Now, Now.AddHours(1), null, hasRefreshToken: false, Plain with { RefreshTokenIdleDays = 10 }));
    }

    [Fact]
    public void RefreshAfter_NothingExpires_Never()
    {
        Assert.Null(RefreshSettings.RefreshAfter(Now, null, null, hasRefreshToken: true, Plain));
    }
}
