using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using McpFunctions.Core.Credentials;
using McpFunctions.Http.Json;

namespace McpFunctions.Http.Mcp;

/// <summary>Signs and verifies <see cref="ConnectRequestState"/>: HMAC-SHA256 under a key derived (HKDF) from the current
/// key-encryption key, so every instance verifies what any instance signed, and nothing is stored between the rounds.</summary>
/// <remarks>The client treats the state as opaque and we treat what comes back as the caller's input: it is read only after
/// its MAC verifies, and only for the user and tool it names (<see cref="ConnectRequestState.Admits"/>). The key version
/// travels in the token, so states signed before a key rotation still verify while that version is in the ring.</remarks>
public sealed class RequestStateProtector(IKeyRing keyRing)
{
    /// <summary>Longer tokens are not ours; refused before any work.</summary>
    public const int MaxLength = 2048;

    private const string Version = "v1";
    private static readonly byte[] Purpose = Encoding.UTF8.GetBytes("mcpfunctions/mcp-request-state/v1");

    public async Task<string> ProtectAsync(ConnectRequestState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var key = await keyRing.GetCurrentAsync(cancellationToken);
        var kid = Encode(Encoding.UTF8.GetBytes(key.Id));
        var payload = Encode(JsonSerializer.SerializeToUtf8Bytes(state, McpJsonContext.Default.ConnectRequestState));
        var signed = $"{Version}.{kid}.{payload}";
        return $"{signed}.{Encode(Mac(key, signed))}";
    }

    /// <summary>The state, when <paramref name="token"/> is one we signed and it parses; null for anything else.</summary>
    public async Task<ConnectRequestState?> UnprotectAsync(string token, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(token);
        var parts = token.Length <= MaxLength ? token.Split('.') : [];
        if (parts is not [Version, var kid, var payload, var mac]
            || Decode(kid) is not { } keyId
            || Decode(mac) is not { } presented
            || await keyRing.FindAsync(Encoding.UTF8.GetString(keyId), cancellationToken) is not { } key)
        {
            return null;
        }

        if (!CryptographicOperations.FixedTimeEquals(presented, Mac(key, $"{Version}.{kid}.{payload}")) || Decode(payload) is not { } json)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(json, McpJsonContext.Default.ConnectRequestState);
        }
        catch (JsonException)
        {
            // Signed by us, so this would be our own bug (a format change); refused like a forgery either way.
            return null;
        }
    }

    private static byte[] Mac(KeyEncryptionKey key, string signed)
    {
        Span<byte> macKey = stackalloc byte[32];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, key.Material, macKey, salt: [], info: Purpose);
        return HMACSHA256.HashData(macKey, Encoding.UTF8.GetBytes(signed));
    }

    private static string Encode(byte[] bytes) => Base64Url.EncodeToString(bytes);

    private static byte[]? Decode(string text)
    {
        try
        {
            return Base64Url.DecodeFromChars(text);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
