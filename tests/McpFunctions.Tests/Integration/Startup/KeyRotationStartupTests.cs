using System.Security.Cryptography;
using McpFunctions.LocalHost;
using McpFunctions.Tests.Fixtures;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace McpFunctions.Tests.Integration.Startup;

/// <summary>Bad key-ring and rotation settings stop startup with a message naming the setting; the Key Vault cases use
/// the Key Vault stand-in through the real SecretClient.</summary>
public sealed class KeyRotationStartupTests
{
    private static Dictionary<string, string?> ValidSettings() => StartupSettings.Valid();

    [Theory]
    [InlineData("KeyRing:Source", "KeyVault", "KEY_VAULT__vaultUri")]
    [InlineData("Rewrap:MaxPerRun", "0", "Rewrap__MaxPerRun")]
    [InlineData("Rewrap:PageSize", "5000", "Rewrap__PageSize")]
    [InlineData("Rewrap:Parallelism", "0", "Rewrap__Parallelism")]
    [InlineData("Rewrap:MaxPerRun", "many", "Rewrap:MaxPerRun")]
    [InlineData("Auth:AdminRole", "two words", "Auth:AdminRole")]
    public void Build_BadSetting_FailsNamingIt(string setting, string value, string expected)
    {
        var settings = ValidSettings();
        settings[setting] = value;

        var error = Assert.Throws<InvalidOperationException>(() =>
            LocalHostApp.Create(["--environment", "Production"], b => b.Configuration.AddInMemoryCollection(settings)));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(16)]
    [InlineData(31)]
    [InlineData(64)]
    public async Task Start_StandInKekSecretOfWrongLength_FailsNamingSecretSettingAndVersionNotValue(int length)
    {
        await using var vault = await StandInVault.StartAsync();
        var value = Convert.ToBase64String(RandomNumberGenerator.GetBytes(length));
        var version = vault.Server.AddVersion(StandInVault.SecretName, value);
        var settings = ValidSettings();
        vault.Configure(settings);
        var logs = new CapturedLogs();
        await using var app = LocalHostApp.Create(["--environment", "Production", "--urls", "http://127.0.0.1:0"], b =>
        {
            b.Configuration.AddInMemoryCollection(settings);
            b.Logging.ClearProviders();
            b.Logging.AddProvider(logs);
            b.Host.UseServiceProviderFactory(new ServiceOverrides(vault.ReplaceKeyRing));
        });

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => app.StartAsync());

        Assert.Contains("KEY_VAULT__secretName", error.Message, StringComparison.Ordinal);
        Assert.Contains($"'{StandInVault.SecretName}'", error.Message, StringComparison.Ordinal);
        Assert.Contains($"'{version}'", error.Message, StringComparison.Ordinal);
        Assert.Contains($"decodes to {length} bytes", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(value, error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(value, logs.All, StringComparison.Ordinal);
    }
}
