using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using McpFunctions.Core.Connections;
using McpFunctions.Core.Errors;

namespace McpFunctions.Core.Credentials;

/// <summary>Seals and opens credentials: a fresh AES-256-GCM data key per seal, wrapped by the key ring's current KEK.</summary>
/// <remarks>
/// The credential ciphertext is bound to its owner by associated data (format version, then tenant, user,
/// provider and account, each as a 4-byte big-endian length and UTF-8 bytes), so a ciphertext copied into
/// another owner's document fails to open. The wrapped data key is bound to its KEK id the same way, so a
/// wrapped key cannot be presented under another key id.
/// </remarks>
public sealed class EnvelopeEncryption(IKeyRing keyRing)
{
    public const int DataKeySize = 32;
    public const int NonceSize = 12;
    public const int TagSize = 16;

    /// <summary>nonce | wrapped data key | tag.</summary>
    public const int WrappedKeySize = NonceSize + DataKeySize + TagSize;

    internal const string DecryptFailedMessage = "The stored credential could not be decrypted; reconnect to replace it.";

    // Distinct first bytes keep the two kinds of associated data apart even though they use different keys.
    private const byte CredentialAadVersion = 1;
    private const byte WrapAadVersion = 0x81;

    public async Task<EncryptedCredential> SealAsync(ReadOnlyMemory<byte> plaintext, ConnectionKey key, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(key);
        var kek = await keyRing.GetCurrentAsync(ct);
        return Seal(plaintext.Span, key, kek);
    }

    /// <summary>Opens a sealed credential; the caller owns (and should zero) the returned plaintext.</summary>
    public async Task<byte[]> OpenAsync(EncryptedCredential sealedCredential, ConnectionKey key, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(sealedCredential);
        ArgumentNullException.ThrowIfNull(key);
        var kek = await FindKeyAsync(sealedCredential.KeyId, ct);
        return Open(sealedCredential, key, kek);
    }

    /// <summary>Re-wraps the data key under the current KEK, leaving the credential ciphertext as it is;
    /// returns the same instance when the record is already under the current KEK.</summary>
    public async Task<EncryptedCredential> RewrapAsync(EncryptedCredential sealedCredential, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(sealedCredential);
        var current = await keyRing.GetCurrentAsync(ct);
        if (string.Equals(sealedCredential.KeyId, current.Id, StringComparison.Ordinal))
        {
            return sealedCredential;
        }

        var previous = await FindKeyAsync(sealedCredential.KeyId, ct);
        return Rewrap(sealedCredential, previous, current);
    }

    internal static McpFunctionsException DecryptFailed(CryptographicException? inner = null) =>
        new(ErrorCode.CredentialDecryptFailed, DecryptFailedMessage, inner);

    private async Task<KeyEncryptionKey> FindKeyAsync(string? keyId, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(keyId))
        {
            throw DecryptFailed();
        }

        // A key-ring outage is not a broken record: its exceptions pass through unchanged.
        return await keyRing.FindAsync(keyId, ct) ?? throw DecryptFailed();
    }

    private static EncryptedCredential Seal(ReadOnlySpan<byte> plaintext, ConnectionKey key, KeyEncryptionKey kek)
    {
        var dataKey = new byte[DataKeySize];
        try
        {
            RandomNumberGenerator.Fill(dataKey);
            var nonce = RandomNumberGenerator.GetBytes(NonceSize);
            var ciphertext = new byte[plaintext.Length];
            var tag = new byte[TagSize];
            using (var aes = new AesGcm(dataKey, TagSize))
            {
                aes.Encrypt(nonce, plaintext, ciphertext, tag, CredentialAad(key));
            }

            return new EncryptedCredential(
                kek.Id,
                Convert.ToBase64String(Wrap(dataKey, kek)),
                Convert.ToBase64String(nonce),
                Convert.ToBase64String(ciphertext),
                Convert.ToBase64String(tag));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    private static byte[] Open(EncryptedCredential sealedCredential, ConnectionKey key, KeyEncryptionKey kek)
    {
        var nonce = DecodeExact(sealedCredential.Nonce, NonceSize);
        var tag = DecodeExact(sealedCredential.Tag, TagSize);
        var ciphertext = Decode(sealedCredential.Ciphertext);
        var dataKey = Unwrap(sealedCredential.WrappedKey, kek);
        var plaintext = new byte[ciphertext.Length];
        try
        {
            using var aes = new AesGcm(dataKey, TagSize);
            aes.Decrypt(nonce, ciphertext, tag, plaintext, CredentialAad(key));
            return plaintext;
        }
        catch (CryptographicException ex)
        {
            // AesGcm already clears the output on a tag mismatch; clear again in case of any other failure.
            CryptographicOperations.ZeroMemory(plaintext);
            throw DecryptFailed(ex);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    private static EncryptedCredential Rewrap(EncryptedCredential sealedCredential, KeyEncryptionKey previous, KeyEncryptionKey current)
    {
        var dataKey = Unwrap(sealedCredential.WrappedKey, previous);
        try
        {
            return sealedCredential with
            {
                KeyId = current.Id,
                WrappedKey = Convert.ToBase64String(Wrap(dataKey, current)),
            };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    private static byte[] Wrap(byte[] dataKey, KeyEncryptionKey kek)
    {
        var wrapped = new byte[WrappedKeySize];
        var nonce = wrapped.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(kek.Material, TagSize);
        aes.Encrypt(
            nonce,
            dataKey,
            wrapped.AsSpan(NonceSize, DataKeySize),
            wrapped.AsSpan(NonceSize + DataKeySize, TagSize),
            WrapAad(kek.Id));
        return wrapped;
    }

    private static byte[] Unwrap(string? wrappedBase64, KeyEncryptionKey kek)
    {
        var wrapped = DecodeExact(wrappedBase64, WrappedKeySize);
        var dataKey = new byte[DataKeySize];
        try
        {
            using var aes = new AesGcm(kek.Material, TagSize);
            aes.Decrypt(
                wrapped.AsSpan(0, NonceSize),
                wrapped.AsSpan(NonceSize, DataKeySize),
                wrapped.AsSpan(NonceSize + DataKeySize, TagSize),
                dataKey,
                WrapAad(kek.Id));
            return dataKey;
        }
        catch (CryptographicException ex)
        {
            CryptographicOperations.ZeroMemory(dataKey);
            throw DecryptFailed(ex);
        }
    }

    private static byte[] DecodeExact(string? base64, int length)
    {
        var bytes = Decode(base64);
        return bytes.Length == length ? bytes : throw DecryptFailed();
    }

    private static byte[] Decode(string? base64)
    {
        if (base64 is null)
        {
            throw DecryptFailed();
        }

        // Decoded base64 is never longer than its text, so this buffer always suffices.
        var buffer = new byte[base64.Length];
        return Convert.TryFromBase64String(base64, buffer, out var written) ? buffer[..written] : throw DecryptFailed();
    }

    private static byte[] CredentialAad(ConnectionKey key) =>
        LengthPrefixed(CredentialAadVersion, key.TenantId, key.UserId, key.Provider, key.Account);

    private static byte[] WrapAad(string keyId) => LengthPrefixed(WrapAadVersion, keyId);

    /// <summary>version byte, then per field a 4-byte big-endian UTF-8 length and the UTF-8 bytes.</summary>
    private static byte[] LengthPrefixed(byte version, params ReadOnlySpan<string> fields)
    {
        var size = 1;
        foreach (var field in fields)
        {
            size += sizeof(int) + Encoding.UTF8.GetByteCount(field);
        }

        var aad = new byte[size];
        aad[0] = version;
        var offset = 1;
        foreach (var field in fields)
        {
            var written = Encoding.UTF8.GetBytes(field, aad.AsSpan(offset + sizeof(int)));
            BinaryPrimitives.WriteInt32BigEndian(aad.AsSpan(offset), written);
            offset += sizeof(int) + written;
        }

        return aad;
    }
}
