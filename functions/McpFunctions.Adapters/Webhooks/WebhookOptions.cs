using System.Text;
using McpFunctions.Core.Configuration;
using McpFunctions.Core.Security;
using Microsoft.Extensions.Configuration;

namespace McpFunctions.Adapters.Webhooks;

/// <summary>Where and how connection events are delivered (<c>WEBHOOK_URL</c>, <c>WEBHOOK_HMAC_SECRET</c>, <c>Webhooks__*</c>).</summary>
/// <remarks>A class, not a record: a record's generated <c>ToString</c> would print the secret. Bound from the root, so the
/// flat names azd outputs and the <c>Webhooks</c> section are read alike.</remarks>
public sealed class WebhookOptions : IValidatedOptions
{
    public const string Section = "";
    public const string UrlSetting = "WEBHOOK_URL";
    public const string SecretSetting = "WEBHOOK_HMAC_SECRET";
    public const string MaxAttemptsSetting = "Webhooks__MaxAttempts";
    public const string TimeoutSecondsSetting = "Webhooks__TimeoutSeconds";
    public const string IncludeRefreshedSetting = "Webhooks__IncludeRefreshed";

    /// <summary>HMAC-SHA256 keys shorter than its block are legal but guessable; 32 bytes is the floor we accept.</summary>
    public const int MinSecretBytes = 32;

    public const int DefaultMaxAttempts = 20;
    public const int DefaultTimeoutSeconds = 10;

    private byte[]? secret;

    /// <summary>The receiver; null when webhooks are off.</summary>
    [ConfigurationKeyName(UrlSetting)]
    public Uri? Url { get; set; }

    /// <summary>The HMAC key, as text (<c>WEBHOOK_HMAC_SECRET</c>). Secret.</summary>
    [ConfigurationKeyName(SecretSetting)]
    public string? HmacSecret { get; set; }

    /// <remarks>An empty <c>WEBHOOK_URL</c> (as in a copied sample) means off, like a missing one.</remarks>
    public bool Enabled => Url is { OriginalString.Length: > 0 };

    /// <summary>Attempts per event (the first included) before it is marked dead.</summary>
    [ConfigurationKeyName("Webhooks:MaxAttempts")]
    public int MaxAttempts { get; set; } = DefaultMaxAttempts;

    /// <summary>Per-attempt limit for connecting, sending and receiving the response headers.</summary>
    [ConfigurationKeyName("Webhooks:TimeoutSeconds")]
    public int TimeoutSeconds { get; set; } = DefaultTimeoutSeconds;

    /// <summary><c>connection.refreshed</c> happens on every token refresh; it is dropped unless asked for.</summary>
    [ConfigurationKeyName("Webhooks:IncludeRefreshed")]
    public bool IncludeRefreshed { get; set; }

    /// <summary>The UTF-8 bytes of <c>WEBHOOK_HMAC_SECRET</c>, the HMAC key.</summary>
    public ReadOnlySpan<byte> Secret => secret ??= Encoding.UTF8.GetBytes(HmacSecret ?? "");

    /// <summary>Problems name the setting and never echo the secret or the URL (receivers sometimes carry a token in it).</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (MaxAttempts is < 1 or > 100)
        {
            problems.Add($"{MaxAttemptsSetting} must be a whole number from 1 to 100.");
        }

        if (TimeoutSeconds is < 1 or > 60)
        {
            problems.Add($"{TimeoutSecondsSetting} must be a whole number from 1 to 60.");
        }

        if (!Enabled)
        {
            return problems;
        }

        if (!Url!.IsAbsoluteUri || !SecureUrl.IsAllowed(Url) || !string.IsNullOrEmpty(Url.UserInfo))
        {
            problems.Add($"{UrlSetting} must be an absolute https URL without user info (http only on loopback).");
        }

        if (string.IsNullOrEmpty(HmacSecret) || Encoding.UTF8.GetByteCount(HmacSecret) < MinSecretBytes)
        {
            problems.Add($"{SecretSetting} is required when {UrlSetting} is set and must be at least {MinSecretBytes} bytes (e.g. `openssl rand -hex 32`).");
        }

        return problems;
    }
}
