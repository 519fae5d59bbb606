using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using McpFunctions.Core.Connections;

namespace McpFunctions.Core.Credentials;

/// <summary>Turns a <see cref="Credential"/> into its sealed form and back (JSON inside envelope encryption).</summary>
public sealed class CredentialProtector(EnvelopeEncryption encryption, JsonTypeInfo<Credential> typeInfo)
{
    public async Task<EncryptedCredential> ProtectAsync(Credential credential, ConnectionKey key, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(credential);
        var plaintext = JsonSerializer.SerializeToUtf8Bytes(credential, typeInfo);
        try
        {
            return await encryption.SealAsync(plaintext, key, ct);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    public async Task<Credential> UnprotectAsync(EncryptedCredential sealedCredential, ConnectionKey key, CancellationToken ct)
    {
        var plaintext = await encryption.OpenAsync(sealedCredential, key, ct);
        try
        {
            return JsonSerializer.Deserialize(plaintext, typeInfo) ?? throw EnvelopeEncryption.DecryptFailed();
        }
        catch (JsonException)
        {
            // Not chained: a JsonException message can quote a fragment of the plaintext.
            throw EnvelopeEncryption.DecryptFailed();
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }
}
