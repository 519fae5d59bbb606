namespace McpFunctions.Core.Credentials;

/// <summary>A credential sealed by envelope encryption (all binary fields base64).</summary>
/// <param name="KeyId">The key-encryption key (KEK) id/version that wrapped <paramref name="WrappedKey"/>.</param>
/// <param name="WrappedKey">The per-credential data key, AES-256-GCM-wrapped by the KEK (nonce | ciphertext | tag).</param>
/// <param name="Nonce">The 96-bit nonce of the credential ciphertext.</param>
/// <param name="Ciphertext">The credential JSON encrypted with the data key.</param>
/// <param name="Tag">The 128-bit GCM tag over the ciphertext and the associated data.</param>
public sealed record EncryptedCredential(string KeyId, string WrappedKey, string Nonce, string Ciphertext, string Tag);
