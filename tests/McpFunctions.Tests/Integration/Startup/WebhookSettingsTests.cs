using McpFunctions.Adapters.Webhooks;
using McpFunctions.Core.Events;
using McpFunctions.LocalHost;
using McpFunctions.Tests.Fixtures;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace McpFunctions.Tests.Integration.Startup;

/// <summary>Webhook settings: a bad one stops startup naming it, and neither the secret nor the URL is echoed.</summary>
public sealed class WebhookSettingsTests
{
    private const string Secret = "whsec-startup-test-secret-0123456789abcdef";
    private const string Url = "https://hooks.example.com/mcp?token=receiver-query-token";

    [Theory]
    [InlineData("WEBHOOK_URL", "ftp://hooks.example.com/mcp", "WEBHOOK_URL must be an absolute https URL")]
    [InlineData("WEBHOOK_URL", "http://hooks.example.com/mcp", "WEBHOOK_URL must be an absolute https URL")]
    [InlineData("WEBHOOK_URL", "hooks.example.com/mcp", "WEBHOOK_URL must be an absolute https URL")]
    [InlineData("WEBHOOK_URL", "https://user:password@hooks.example.com/mcp", "WEBHOOK_URL must be an absolute https URL")]
    [InlineData("WEBHOOK_HMAC_SECRET", null, "WEBHOOK_HMAC_SECRET is required when WEBHOOK_URL is set")]
    [InlineData("WEBHOOK_HMAC_SECRET", "", "WEBHOOK_HMAC_SECRET is required when WEBHOOK_URL is set")]
    [InlineData("WEBHOOK_HMAC_SECRET", "only-thirty-one-bytes-long-xxxx", "at least 32 bytes")]
    [InlineData("Webhooks:MaxAttempts", "0", "Webhooks__MaxAttempts must be a whole number from 1 to 100")]
    [InlineData("Webhooks:MaxAttempts", "many", "Webhooks:MaxAttempts")]
    [InlineData("Webhooks:TimeoutSeconds", "600", "Webhooks__TimeoutSeconds must be a whole number from 1 to 60")]
    [InlineData("Webhooks:IncludeRefreshed", "sometimes", "Webhooks:IncludeRefreshed")]
    public void BadWebhookSetting_FailsStartupNamingIt_WithoutEchoingSecrets(string setting, string? value, string expected)
    {
        var settings = ValidSettings();
        settings[setting] = value;

        var error = Assert.Throws<InvalidOperationException>(() => Create(settings));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("receiver-query-token", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("password", error.Message, StringComparison.Ordinal);
        if (setting == "WEBHOOK_HMAC_SECRET" && value is { Length: > 0 })
        {
            Assert.DoesNotContain(value, error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ValidSettings_StartWithTheOutbox_AndHttpOnlyOnLoopback()
    {
        var settings = ValidSettings();
        settings["Webhooks:MaxAttempts"] = "7";
        settings["Webhooks:TimeoutSeconds"] = "3";
        settings["Webhooks:IncludeRefreshed"] = "true";
        await using (var app = Create(settings))
        {
            var options = app.Services.GetRequiredService<WebhookOptions>();
            Assert.IsType<WebhookOutbox>(app.Services.GetRequiredService<IConnectionEvents>());
            Assert.Equal((7, 3, true), (options.MaxAttempts, options.TimeoutSeconds, options.IncludeRefreshed));
            Assert.DoesNotContain(Secret, options.ToString() ?? "", StringComparison.Ordinal);
        }

        settings["WEBHOOK_URL"] = "http://127.0.0.1:9/hooks";
        await using (var loopback = Create(settings))
        {
            Assert.True(loopback.Services.GetRequiredService<WebhookOptions>().Enabled);
        }
    }

    [Fact]
    public async Task NoWebhookUrl_StartsWithoutOutbox_EvenWithoutASecret()
    {
        var settings = ValidSettings();
        settings["WEBHOOK_URL"] = null;
        settings["WEBHOOK_HMAC_SECRET"] = null;

        await using var app = Create(settings);

        Assert.IsType<DisabledConnectionEvents>(app.Services.GetRequiredService<IConnectionEvents>());
        Assert.False(app.Services.GetRequiredService<WebhookOptions>().Enabled);
    }

    private static Dictionary<string, string?> ValidSettings()
    {
        var settings = StartupSettings.Valid();
        settings["WEBHOOK_URL"] = Url;
        settings["WEBHOOK_HMAC_SECRET"] = Secret;
        return settings;
    }

    private static Microsoft.AspNetCore.Builder.WebApplication Create(Dictionary<string, string?> settings) =>
        LocalHostApp.Create(["--environment", "Production"], b => b.Configuration.AddInMemoryCollection(settings));
}
