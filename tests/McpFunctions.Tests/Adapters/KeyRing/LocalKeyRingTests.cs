using System.Security.Cryptography;
using McpFunctions.Adapters.KeyRing;
using McpFunctions.Core.Credentials;

namespace McpFunctions.Tests.Adapters.KeyRing;

public sealed class LocalKeyRingTests
{
    [Fact]
    public async Task FromBase64_ValidKey_IsCurrentAndFindable()
    {
        var value = LocalKeyRing.GenerateBase64Key();

        var ring = LocalKeyRing.FromBase64(value);

        var current = await ring.GetCurrentAsync(CancellationToken.None);
        Assert.Equal(Convert.FromBase64String(value), current.Material);
        Assert.Same(current, await ring.FindAsync(current.Id, CancellationToken.None));
    }

    [Fact]
    public async Task FromBase64_WithPreviousKeys_CurrentIsNewestAndAllAreFindable()
    {
        var v1 = LocalKeyRing.GenerateBase64Key();
        var v2 = LocalKeyRing.GenerateBase64Key();
        var v3 = LocalKeyRing.GenerateBase64Key();

        var ring = LocalKeyRing.FromBase64(v3, [v1, v2]);

        var current = await ring.GetCurrentAsync(CancellationToken.None);
        Assert.Equal(await IdOfAsync(v3), current.Id);
        Assert.NotNull(await ring.FindAsync(await IdOfAsync(v1), CancellationToken.None));
        Assert.NotNull(await ring.FindAsync(await IdOfAsync(v2), CancellationToken.None));
    }

    [Fact]
    public async Task Constructor_KeyVersions_LastIsCurrent()
    {
        var v1 = new KeyEncryptionKey("kek-v1", RandomNumberGenerator.GetBytes(32));
        var v2 = new KeyEncryptionKey("kek-v2", RandomNumberGenerator.GetBytes(32));

        var ring = new LocalKeyRing([v1, v2]);

        Assert.Same(v2, await ring.GetCurrentAsync(CancellationToken.None));
    }

    [Fact]
    public void Constructor_NoKeys_Throws()
    {
        Assert.Throws<ArgumentException>(() => new LocalKeyRing([]));
    }

    [Fact]
    public void Constructor_DuplicateIds_ThrowsNamingSetting()
    {
        var material = RandomNumberGenerator.GetBytes(32);

        var ex = Assert.Throws<InvalidOperationException>(
            () => new LocalKeyRing([new KeyEncryptionKey("kek-v1", material), new KeyEncryptionKey("kek-v1", RandomNumberGenerator.GetBytes(32))]));

        Assert.Contains("MCP_ENCRYPTION_KEY", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromBase64_SameKeyAsCurrentAndPrevious_ThrowsNamingSettingWithoutValue()
    {
        var value = LocalKeyRing.GenerateBase64Key();

        var ex = Assert.Throws<InvalidOperationException>(() => LocalKeyRing.FromBase64(value, [value]));

        AssertNamesSettingWithout(ex, value);
    }

    [Fact]
    public void FromBase64_SixteenByteKey_ThrowsNamingSettingWithoutValue()
    {
        var value = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));

        var ex = Assert.Throws<InvalidOperationException>(() => LocalKeyRing.FromBase64(value));

        AssertNamesSettingWithout(ex, value);
        Assert.Contains("32", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("this-is-not-base64-but-a-password!!")]
    [InlineData("c2VjcmV0LWtleS1tYXRlcmlhbC10aGF0LWlzLW5vdC1iYXNlNjQ@")]
    public void FromBase64_BadBase64_ThrowsNamingSettingWithoutValue(string value)
    {
        var ex = Assert.Throws<InvalidOperationException>(() => LocalKeyRing.FromBase64(value));

        AssertNamesSettingWithout(ex, value);
        Assert.Contains("base64", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void FromBase64_EmptyValue_ThrowsNamingSetting(string value)
    {
        var ex = Assert.Throws<InvalidOperationException>(() => LocalKeyRing.FromBase64(value));

        Assert.Contains("MCP_ENCRYPTION_KEY", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromBase64_BadPreviousKey_ThrowsNamingSettingWithoutValue()
    {
        var bad = Convert.ToBase64String(RandomNumberGenerator.GetBytes(31));

        var ex = Assert.Throws<InvalidOperationException>(() => LocalKeyRing.FromBase64(LocalKeyRing.GenerateBase64Key(), [bad]));

        AssertNamesSettingWithout(ex, bad);
    }

    [Fact]
    public async Task KeyId_SameKeyTwice_IsStable()
    {
        var value = LocalKeyRing.GenerateBase64Key();

        Assert.Equal(await IdOfAsync(value), await IdOfAsync(value));
        Assert.NotEqual(await IdOfAsync(value), await IdOfAsync(LocalKeyRing.GenerateBase64Key()));
    }

    [Fact]
    public async Task KeyId_KnownKey_IsLocalPrefixAndFirstEightHexOfSha256()
    {
        // SHA-256 of 32 zero bytes is 66687aad…; pinning it keeps ids stable across releases.
        var zeros = Convert.ToBase64String(new byte[32]);

        Assert.Equal("local-66687aad", await IdOfAsync(zeros));
    }

    [Fact]
    public async Task KeyId_AnyKey_DoesNotRevealTheKey()
    {
        var value = LocalKeyRing.GenerateBase64Key();

        var id = await IdOfAsync(value);

        Assert.Matches("^local-[0-9a-f]{8}$", id);
        Assert.DoesNotContain(Convert.ToHexStringLower(Convert.FromBase64String(value))[..8], id, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FindAsync_UnknownId_ReturnsNull()
    {
        var ring = LocalKeyRing.FromBase64(LocalKeyRing.GenerateBase64Key());

        Assert.Null(await ring.FindAsync("local-00000000", CancellationToken.None));
    }

    [Fact]
    public async Task CheckHealthAsync_InMemoryRing_Succeeds()
    {
        var ring = LocalKeyRing.FromBase64(LocalKeyRing.GenerateBase64Key());

        await ring.CheckHealthAsync(CancellationToken.None);
    }

    [Fact]
    public void GenerateBase64Key_TwoCalls_ReturnDistinctValid32ByteKeys()
    {
        var first = LocalKeyRing.GenerateBase64Key();
        var second = LocalKeyRing.GenerateBase64Key();

        Assert.Equal(32, Convert.FromBase64String(first).Length);
        Assert.NotEqual(first, second);
    }

    private static async Task<string> IdOfAsync(string base64) =>
        (await LocalKeyRing.FromBase64(base64).GetCurrentAsync(CancellationToken.None)).Id;

    private static void AssertNamesSettingWithout(InvalidOperationException ex, string value)
    {
        Assert.Contains("MCP_ENCRYPTION_KEY", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(value, ex.Message, StringComparison.Ordinal);
        Assert.Null(ex.InnerException);
    }
}
