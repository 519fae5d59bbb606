using System.Security.Cryptography;
using McpFunctions.Core.Credentials;
using McpFunctions.Core.Errors;
using McpFunctions.Core.Keys;

namespace McpFunctions.Adapters.KeyRing;

/// <summary>An in-memory key ring built from the local key setting <c>MCP_ENCRYPTION_KEY</c> (and earlier versions).</summary>
/// <remarks>Its keys change only with its settings and a restart, so it describes itself but refuses to rotate.</remarks>
public sealed class LocalKeyRing : IKeyRing, IKeyRotation
{
    public const string SettingName = "MCP_ENCRYPTION_KEY";
    public const string PreviousSettingName = SettingName + "_PREVIOUS";
    public const string Source = "Local";

    internal const string RotationUnsupportedMessage =
        "The local key ring (KeyRing__Source=Local) cannot add or reload key versions. To rotate: generate a key "
        + "(`openssl rand -base64 32`), set it as " + SettingName + ", move the old value into " + PreviousSettingName
        + " (comma-separated), restart every instance, then run the re-wrap. Or use KeyRing__Source=KeyVault.";

    private readonly KeyEncryptionKey current;
    private readonly Dictionary<string, KeyEncryptionKey> byId = new(StringComparer.Ordinal);
    private readonly KeyRingState state;

    /// <summary>Builds the ring from key versions, oldest first: the last one is current.</summary>
    public LocalKeyRing(IReadOnlyList<KeyEncryptionKey> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count == 0)
        {
            throw new ArgumentException("A key ring needs at least one key-encryption key.", nameof(keys));
        }

        foreach (var key in keys)
        {
            ArgumentNullException.ThrowIfNull(key, nameof(keys));
            if (!byId.TryAdd(key.Id, key))
            {
                // The id is a hash prefix, safe to show; it tells the operator which value is repeated.
                throw new InvalidOperationException(
                    $"{SettingName}: key '{key.Id}' is configured more than once; each current or previous key must be distinct.");
            }
        }

        current = keys[^1];
        state = new KeyRingState(Source, CanRotate: false, current.Id, CurrentSince: null, TimeSpan.Zero, [.. keys.Reverse().Select(k => k.Id)]);
    }

    /// <summary>Parses the current key and any previous keys (each base64 of 32 bytes).</summary>
    public static LocalKeyRing FromBase64(string current, IEnumerable<string>? previous = null)
    {
        var keys = new List<KeyEncryptionKey>();
        var position = 0;
        foreach (var value in previous ?? [])
        {
            position++;
            keys.Add(Parse(value, $"previous key #{position}"));
        }

        keys.Add(Parse(current, "current key"));
        return new LocalKeyRing(keys);
    }

    /// <summary>A fresh random key in the <c>MCP_ENCRYPTION_KEY</c> format, for Development only.</summary>
    public static string GenerateBase64Key()
    {
        var material = RandomNumberGenerator.GetBytes(KeyEncryptionKey.SizeInBytes);
        try
        {
            return Convert.ToBase64String(material);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(material);
        }
    }

    /// <summary>The id of a local key: stable for the same material, and a hash prefix reveals nothing usable.</summary>
    public static string KeyIdFor(ReadOnlySpan<byte> material) =>
        "local-" + Convert.ToHexStringLower(SHA256.HashData(material))[..8];

    public ValueTask<KeyEncryptionKey> GetCurrentAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult(current);

    public ValueTask<KeyEncryptionKey?> FindAsync(string keyId, CancellationToken cancellationToken) =>
        ValueTask.FromResult(byId.GetValueOrDefault(keyId));

    // Nothing to reach: the keys are in memory.
    public Task CheckHealthAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public ValueTask<KeyRingState> DescribeAsync(CancellationToken cancellationToken) => ValueTask.FromResult(state);

    public Task<string> AddVersionAsync(CancellationToken cancellationToken) =>
        Task.FromException<string>(new McpFunctionsException(ErrorCode.KeyRotationUnsupported, RotationUnsupportedMessage));

    public Task ReloadAsync(CancellationToken cancellationToken) =>
        Task.FromException(new McpFunctionsException(ErrorCode.KeyRotationUnsupported, RotationUnsupportedMessage));

    private static KeyEncryptionKey Parse(string? value, string which)
    {
        // Messages never echo the value: a near-miss key is still mostly secret.
        var expected = $"base64 of {KeyEncryptionKey.SizeInBytes} random bytes (44 characters)";
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new InvalidOperationException($"{SettingName} ({which}) is empty; expected {expected}.");
        }

        var text = value.Trim();
        var buffer = new byte[text.Length];
        try
        {
            if (!Convert.TryFromBase64String(text, buffer, out var written))
            {
                throw new InvalidOperationException($"{SettingName} ({which}) is not valid base64; expected {expected}.");
            }

            if (written != KeyEncryptionKey.SizeInBytes)
            {
                throw new InvalidOperationException(
                    $"{SettingName} ({which}) decodes to {written} bytes; expected {expected}.");
            }

            var material = buffer[..written];
            return new KeyEncryptionKey(KeyIdFor(material), material);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer);
        }
    }
}
