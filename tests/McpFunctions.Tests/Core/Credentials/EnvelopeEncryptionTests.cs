using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using McpFunctions.Adapters.KeyRing;
using McpFunctions.Core.Connections;
using McpFunctions.Core.Credentials;
using McpFunctions.Core.Errors;

namespace McpFunctions.Tests.Core.Credentials;

public sealed class EnvelopeEncryptionTests
{
    private const string Secret = "secret_ntn_4f2b9c-do-not-leak";

    private static readonly ConnectionKey Owner = new("tenant-1", "user-1", "notion", ConnectionKey.DefaultAccount);

    private static readonly KeyEncryptionKey V1 = NewKek("kek-v1");
    private static readonly KeyEncryptionKey V2 = NewKek("kek-v2");

    private static ReadOnlyMemory<byte> Plaintext => Encoding.UTF8.GetBytes(Secret);

    [Fact]
    public async Task Open_SealedWithSameKey_ReturnsPlaintext()
    {
        var encryption = Envelope(V1);

        var sealedCredential = await encryption.SealAsync(Plaintext, Owner, CancellationToken.None);
        var opened = await encryption.OpenAsync(sealedCredential, Owner, CancellationToken.None);

        Assert.Equal(Secret, Encoding.UTF8.GetString(opened));
        Assert.Equal(V1.Id, sealedCredential.KeyId);
    }

    [Fact]
    public async Task Open_EmptyPlaintext_RoundTrips()
    {
        var encryption = Envelope(V1);

        var sealedCredential = await encryption.SealAsync(ReadOnlyMemory<byte>.Empty, Owner, CancellationToken.None);

        Assert.Empty(await encryption.OpenAsync(sealedCredential, Owner, CancellationToken.None));
    }

    [Fact]
    public async Task Seal_FieldLengths_MatchTheFormat()
    {
        var sealedCredential = await Envelope(V1).SealAsync(Plaintext, Owner, CancellationToken.None);

        Assert.Equal(EnvelopeEncryption.NonceSize, Convert.FromBase64String(sealedCredential.Nonce).Length);
        Assert.Equal(EnvelopeEncryption.TagSize, Convert.FromBase64String(sealedCredential.Tag).Length);
        Assert.Equal(Plaintext.Length, Convert.FromBase64String(sealedCredential.Ciphertext).Length);
        Assert.Equal(12 + 32 + 16, Convert.FromBase64String(sealedCredential.WrappedKey).Length);
    }

    [Fact]
    public async Task Seal_SamePlaintextTwice_ProducesDifferentRecords()
    {
        var encryption = Envelope(V1);

        var first = await encryption.SealAsync(Plaintext, Owner, CancellationToken.None);
        var second = await encryption.SealAsync(Plaintext, Owner, CancellationToken.None);

        Assert.NotEqual(first.Nonce, second.Nonce);
        Assert.NotEqual(first.WrappedKey, second.WrappedKey);
        Assert.NotEqual(first.Ciphertext, second.Ciphertext);
        Assert.NotEqual(first.Tag, second.Tag);
    }

    [Theory]
    [InlineData(nameof(EncryptedCredential.Ciphertext), 0)]
    [InlineData(nameof(EncryptedCredential.Ciphertext), -1)]
    [InlineData(nameof(EncryptedCredential.Tag), 0)]
    [InlineData(nameof(EncryptedCredential.Tag), -1)]
    [InlineData(nameof(EncryptedCredential.Nonce), 0)]
    [InlineData(nameof(EncryptedCredential.Nonce), -1)]
    [InlineData(nameof(EncryptedCredential.WrappedKey), 0)]
    [InlineData(nameof(EncryptedCredential.WrappedKey), 20)]
    [InlineData(nameof(EncryptedCredential.WrappedKey), -1)]
    public async Task Open_OneBitFlipped_FailsWithCredentialDecryptFailed(string field, int byteIndex)
    {
        var encryption = Envelope(V1);
        var sealedCredential = await encryption.SealAsync(Plaintext, Owner, CancellationToken.None);

        var tampered = field switch
        {
            nameof(EncryptedCredential.Ciphertext) => sealedCredential with { Ciphertext = FlipBit(sealedCredential.Ciphertext, byteIndex) },
            nameof(EncryptedCredential.Tag) => sealedCredential with { Tag = FlipBit(sealedCredential.Tag, byteIndex) },
            nameof(EncryptedCredential.Nonce) => sealedCredential with { Nonce = FlipBit(sealedCredential.Nonce, byteIndex) },
            _ => sealedCredential with { WrappedKey = FlipBit(sealedCredential.WrappedKey, byteIndex) },
        };

        await AssertDecryptFailedAsync(() => encryption.OpenAsync(tampered, Owner, CancellationToken.None));
    }

    [Theory]
    [InlineData("tenant-2", "user-1", "notion", "default")]
    [InlineData("tenant-1", "user-2", "notion", "default")]
    [InlineData("tenant-1", "user-1", "github", "default")]
    [InlineData("tenant-1", "user-1", "notion", "work")]
    public async Task Open_UnderAnotherOwnersKey_FailsWithCredentialDecryptFailed(string tenant, string user, string provider, string account)
    {
        var encryption = Envelope(V1);
        var sealedCredential = await encryption.SealAsync(Plaintext, Owner, CancellationToken.None);

        await AssertDecryptFailedAsync(
            () => encryption.OpenAsync(sealedCredential, new ConnectionKey(tenant, user, provider, account), CancellationToken.None));
    }

    [Fact]
    public async Task Open_FieldsShiftedAcrossASeparator_FailsWithCredentialDecryptFailed()
    {
        // A naive "tenant:user" join would make these two owners share associated data.
        var encryption = Envelope(V1);
        var sealedCredential = await encryption.SealAsync(Plaintext, new ConnectionKey("a:b", "c", "notion", "default"), CancellationToken.None);

        await AssertDecryptFailedAsync(
            () => encryption.OpenAsync(sealedCredential, new ConnectionKey("a", "b:c", "notion", "default"), CancellationToken.None));
    }

    [Fact]
    public async Task Open_UnknownKeyId_FailsWithCredentialDecryptFailed()
    {
        var sealedCredential = await Envelope(V1).SealAsync(Plaintext, Owner, CancellationToken.None);

        await AssertDecryptFailedAsync(() => Envelope(V2).OpenAsync(sealedCredential, Owner, CancellationToken.None));
    }

    [Fact]
    public async Task Open_WrappedKeyRelabelledToAnotherKeyId_FailsWithCredentialDecryptFailed()
    {
        // Same material under two ids: only the wrap's associated data tells them apart.
        var original = new KeyEncryptionKey("kek-a", V1.Material);
        var alias = new KeyEncryptionKey("kek-b", V1.Material);
        var encryption = Envelope(alias, original);
        var sealedCredential = await encryption.SealAsync(Plaintext, Owner, CancellationToken.None);

        await AssertDecryptFailedAsync(
            () => encryption.OpenAsync(sealedCredential with { KeyId = alias.Id }, Owner, CancellationToken.None));
    }

    [Theory]
    [InlineData(nameof(EncryptedCredential.Nonce), "not base64!")]
    [InlineData(nameof(EncryptedCredential.Nonce), "AAAA")]
    [InlineData(nameof(EncryptedCredential.Tag), "AAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData(nameof(EncryptedCredential.WrappedKey), "AAAA")]
    [InlineData(nameof(EncryptedCredential.Ciphertext), "%%%")]
    [InlineData(nameof(EncryptedCredential.KeyId), "")]
    public async Task Open_MalformedField_FailsWithCredentialDecryptFailed(string field, string value)
    {
        var encryption = Envelope(V1);
        var sealedCredential = await encryption.SealAsync(Plaintext, Owner, CancellationToken.None);

        var malformed = field switch
        {
            nameof(EncryptedCredential.Nonce) => sealedCredential with { Nonce = value },
            nameof(EncryptedCredential.Tag) => sealedCredential with { Tag = value },
            nameof(EncryptedCredential.WrappedKey) => sealedCredential with { WrappedKey = value },
            nameof(EncryptedCredential.Ciphertext) => sealedCredential with { Ciphertext = value },
            _ => sealedCredential with { KeyId = value },
        };

        await AssertDecryptFailedAsync(() => encryption.OpenAsync(malformed, Owner, CancellationToken.None));
    }

    [Fact]
    public async Task Open_Failure_MessageCarriesNoSecretAndNoDataBearingInnerException()
    {
        var encryption = Envelope(V1);
        var sealedCredential = await encryption.SealAsync(Plaintext, Owner, CancellationToken.None);
        var tampered = sealedCredential with { Tag = FlipBit(sealedCredential.Tag, 3) };

        var ex = await AssertDecryptFailedAsync(() => encryption.OpenAsync(tampered, Owner, CancellationToken.None));

        Assert.Equal("The stored credential could not be decrypted; reconnect to replace it.", ex.Message);
        Assert.DoesNotContain(Secret, ex.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(V1.Material), ex.ToString(), StringComparison.Ordinal);
        Assert.True(ex.InnerException is null or CryptographicException);
    }

    [Fact]
    public async Task Seal_AfterRotation_UsesNewKeyAndOldRecordsStillOpen()
    {
        var before = await Envelope(V1).SealAsync(Plaintext, Owner, CancellationToken.None);
        var rotated = Envelope(V1, V2);

        var after = await rotated.SealAsync(Plaintext, Owner, CancellationToken.None);

        Assert.Equal(V2.Id, after.KeyId);
        Assert.Equal(Secret, Encoding.UTF8.GetString(await rotated.OpenAsync(before, Owner, CancellationToken.None)));
        Assert.Equal(Secret, Encoding.UTF8.GetString(await rotated.OpenAsync(after, Owner, CancellationToken.None)));
    }

    [Fact]
    public async Task Rewrap_RecordUnderOldKey_MovesToCurrentKeyAndOpensWithoutOldKey()
    {
        var before = await Envelope(V1).SealAsync(Plaintext, Owner, CancellationToken.None);

        var after = await Envelope(V1, V2).RewrapAsync(before, CancellationToken.None);

        Assert.Equal(V2.Id, after.KeyId);
        Assert.NotEqual(before.WrappedKey, after.WrappedKey);
        Assert.Equal(before.Ciphertext, after.Ciphertext);
        Assert.Equal(before.Nonce, after.Nonce);
        Assert.Equal(before.Tag, after.Tag);
        var opened = await Envelope(V2).OpenAsync(after, Owner, CancellationToken.None);
        Assert.Equal(Secret, Encoding.UTF8.GetString(opened));
    }

    [Fact]
    public async Task Rewrap_RecordAlreadyUnderCurrentKey_ReturnsSameInstance()
    {
        var encryption = Envelope(V1, V2);
        var sealedCredential = await encryption.SealAsync(Plaintext, Owner, CancellationToken.None);

        Assert.Same(sealedCredential, await encryption.RewrapAsync(sealedCredential, CancellationToken.None));
    }

    [Fact]
    public async Task Rewrap_UnknownKeyId_FailsWithCredentialDecryptFailed()
    {
        var sealedCredential = await Envelope(V1).SealAsync(Plaintext, Owner, CancellationToken.None);

        await AssertDecryptFailedAsync(() => Envelope(V2).RewrapAsync(sealedCredential, CancellationToken.None));
    }

    [Fact]
    public async Task Rewrap_TamperedWrappedKey_FailsWithCredentialDecryptFailed()
    {
        var sealedCredential = await Envelope(V1).SealAsync(Plaintext, Owner, CancellationToken.None);
        var tampered = sealedCredential with { WrappedKey = FlipBit(sealedCredential.WrappedKey, 30) };

        await AssertDecryptFailedAsync(() => Envelope(V1, V2).RewrapAsync(tampered, CancellationToken.None));
    }

    internal static EnvelopeEncryption Envelope(params KeyEncryptionKey[] keys) => new(new LocalKeyRing(keys));

    internal static async Task<McpFunctionsException> AssertDecryptFailedAsync(Func<Task> action)
    {
        var ex = await Assert.ThrowsAsync<McpFunctionsException>(action);
        Assert.Equal(ErrorCode.CredentialDecryptFailed, ex.Code);
        return ex;
    }

    private static KeyEncryptionKey NewKek(string id) => new(id, RandomNumberGenerator.GetBytes(KeyEncryptionKey.SizeInBytes));

    /// <summary>Flips the lowest bit of one decoded byte (negative index counts from the end) and re-encodes.</summary>
    private static string FlipBit(string base64, int byteIndex)
    {
        var bytes = Convert.FromBase64String(base64);
        bytes[byteIndex >= 0 ? byteIndex : bytes.Length + byteIndex] ^= 0x01;
        return Convert.ToBase64String(bytes);
    }
}

public sealed class CredentialProtectorTests
{
    private static readonly ConnectionKey Owner = new("tenant-1", "user-1", "notion", ConnectionKey.DefaultAccount);

    private static readonly KeyEncryptionKey Kek = new("kek-v1", RandomNumberGenerator.GetBytes(KeyEncryptionKey.SizeInBytes));

    [Fact]
    public async Task Unprotect_ProtectedCredential_ReturnsEqualCredential()
    {
        var protector = new CredentialProtector(EnvelopeEncryptionTests.Envelope(Kek), TestCredentialJsonContext.Default.Credential);
        var credential = new Credential(AccessToken: "at-123", RefreshToken: "rt-456", TokenType: "Bearer");

        var sealedCredential = await protector.ProtectAsync(credential, Owner, CancellationToken.None);
        var opened = await protector.UnprotectAsync(sealedCredential, Owner, CancellationToken.None);

        Assert.Equal(credential, opened);
        Assert.DoesNotContain("at-123", sealedCredential.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unprotect_AnotherOwnersKey_FailsWithCredentialDecryptFailed()
    {
        var protector = new CredentialProtector(EnvelopeEncryptionTests.Envelope(Kek), TestCredentialJsonContext.Default.Credential);
        var sealedCredential = await protector.ProtectAsync(new Credential(ApiKey: "key-1"), Owner, CancellationToken.None);

        await EnvelopeEncryptionTests.AssertDecryptFailedAsync(
            () => protector.UnprotectAsync(sealedCredential, Owner with { UserId = "user-2" }, CancellationToken.None));
    }

    [Theory]
    [InlineData("api-key-plain-not-json")]
    [InlineData("{\"apiKey\": \"half-written")]
    [InlineData("null")]
    public async Task Unprotect_DecryptsToInvalidJson_FailsWithoutLeakingPlaintext(string plaintext)
    {
        var encryption = EnvelopeEncryptionTests.Envelope(Kek);
        var protector = new CredentialProtector(encryption, TestCredentialJsonContext.Default.Credential);
        var sealedCredential = await encryption.SealAsync(Encoding.UTF8.GetBytes(plaintext), Owner, CancellationToken.None);

        var ex = await EnvelopeEncryptionTests.AssertDecryptFailedAsync(
            () => protector.UnprotectAsync(sealedCredential, Owner, CancellationToken.None));

        Assert.DoesNotContain(plaintext, ex.Message, StringComparison.Ordinal);
        Assert.Null(ex.InnerException);
    }
}

[JsonSerializable(typeof(Credential))]
internal sealed partial class TestCredentialJsonContext : JsonSerializerContext;
