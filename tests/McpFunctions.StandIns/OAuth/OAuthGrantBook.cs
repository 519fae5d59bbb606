using System.Security.Cryptography;
using System.Text;

namespace McpFunctions.StandIns.OAuth;

/// <summary>
/// The in-memory authorization server behind every stand-in's OAuth endpoints: clients, codes, grants, access and
/// refresh tokens, rotation, reuse detection, revocation and the counters tests assert on. Thread-safe: every member
/// takes one lock, so of two concurrent refreshes with the same token exactly one wins and the other counts as reuse.
/// </summary>
internal sealed class OAuthGrantBook(OAuthGrantPolicy policy, TimeProvider clock)
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    private readonly Lock _gate = new();
    private readonly Dictionary<string, OAuthClientRegistration> _clients = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CodeRecord> _codes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, AccessRecord> _access = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RefreshRecord> _refresh = new(StringComparer.Ordinal);
    private readonly List<OAuthGrant> _grants = [];
    private int _codeGrants;
    private int _refreshGrants;
    private int _reusedRefreshTokens;
    private int _revocations;

    public int CodeGrants => Read(() => _codeGrants);

    public int RefreshGrants => Read(() => _refreshGrants);

    public int ReusedRefreshTokens => Read(() => _reusedRefreshTokens);

    public int Revocations => Read(() => _revocations);

    public OAuthClientRegistration AddClient(string clientId, string clientSecret, IEnumerable<Uri> redirectUris, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(clientId);
        ArgumentException.ThrowIfNullOrEmpty(clientSecret);
        var uris = redirectUris.ToList();
        if (uris.Count == 0 || uris.Any(u => !u.IsAbsoluteUri))
        {
            throw new ArgumentException("Register at least one absolute redirect URI.", nameof(redirectUris));
        }

        var client = new OAuthClientRegistration(clientId, clientSecret, uris, name);
        lock (_gate)
        {
            _clients[clientId] = client;
        }

        return client;
    }

    public OAuthClientRegistration? Client(string? clientId)
    {
        lock (_gate)
        {
            return clientId is not null && _clients.TryGetValue(clientId, out var client) ? client : null;
        }
    }

    /// <summary>The client when the id is known and the secret is its secret.</summary>
    public OAuthRefusal? CheckClient(string? clientId, string? clientSecret)
    {
        var client = Client(clientId);
        if (client is null)
        {
            return OAuthRefusal.UnknownClient;
        }

        return clientSecret is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(clientSecret), Encoding.UTF8.GetBytes(client.ClientSecret))
            ? null
            : OAuthRefusal.WrongClientSecret;
    }

    /// <summary>Records an approved authorization request and returns the one-time code for the redirect.</summary>
    public string IssueCode(OAuthConsent consent)
    {
        var code = RandomNumberGenerator.GetString(Alphabet, 20);
        lock (_gate)
        {
            _codes.Add(code, new CodeRecord(consent, clock.GetUtcNow() + policy.CodeLifetime));
        }

        return code;
    }

    /// <summary>Redeems a code once. The caller has already authenticated the client.</summary>
    /// <param name="redirectUri">The token request's <c>redirect_uri</c>; must equal the authorize request's when that had one.</param>
    /// <param name="requireRedirectUri">Whether a missing <c>redirect_uri</c> is itself a mismatch when the authorize request had one.</param>
    public OAuthOutcome RedeemCode(string clientId, string? code, string? redirectUri, string? codeVerifier, bool requireRedirectUri)
    {
        lock (_gate)
        {
            if (code is null || !_codes.TryGetValue(code, out var record))
            {
                return OAuthRefusal.UnknownCode;
            }

            var consent = record.Consent;
            if (record.Used)
            {
                return OAuthRefusal.CodeAlreadyUsed;
            }

            if (clock.GetUtcNow() >= record.ExpiresAt)
            {
                return OAuthRefusal.CodeExpired;
            }

            if (consent.ClientId != clientId)
            {
                return OAuthRefusal.CodeOfAnotherClient;
            }

            if (consent.RedirectUri is not null && (redirectUri is null ? requireRedirectUri : redirectUri != consent.RedirectUri))
            {
                return OAuthRefusal.RedirectUriMismatch;
            }

            if (consent.CodeChallenge is not null)
            {
                if (string.IsNullOrEmpty(codeVerifier))
                {
                    return OAuthRefusal.CodeVerifierMissing;
                }

                if (Pkce.S256(codeVerifier) != consent.CodeChallenge)
                {
                    return OAuthRefusal.CodeVerifierMismatch;
                }
            }

            record.Used = true;
            var grant = new OAuthGrant
            {
                Id = RandomNumberGenerator.GetHexString(24, lowercase: true),
                ClientId = consent.ClientId,
                Subject = consent.Subject,
                Scopes = consent.Scopes,
                Tag = consent.Tag,
            };
            _grants.Add(grant);
            _codeGrants++;
            return Issue(grant, consent.IssueRefreshToken);
        }
    }

    /// <summary>Exchanges a refresh token for a new pair; the used token dies, and using it again is counted as reuse.</summary>
    /// <param name="clientId">The authenticated client, or null when the provider identifies the client by the token alone.</param>
    public OAuthOutcome Refresh(string? clientId, string? refreshToken)
    {
        lock (_gate)
        {
            if (refreshToken is null || !_refresh.TryGetValue(refreshToken, out var record))
            {
                return OAuthRefusal.UnknownRefreshToken;
            }

            if (record.UsedAt is not null)
            {
                _reusedRefreshTokens++;
                return OAuthRefusal.RefreshTokenReused;
            }

            if (clientId is not null && record.Grant.ClientId != clientId)
            {
                return OAuthRefusal.RefreshTokenOfAnotherClient;
            }

            if (record.Grant.Revoked)
            {
                return OAuthRefusal.GrantRevoked;
            }

            if (record.ExpiresAt is { } expires && clock.GetUtcNow() >= expires)
            {
                return OAuthRefusal.RefreshTokenExpired;
            }

            record.UsedAt = clock.GetUtcNow();
            if (policy.RefreshEndsPreviousAccessTokens)
            {
                foreach (var access in _access.Values.Where(a => a.Grant == record.Grant))
                {
                    access.Revoked = true;
                }
            }

            _refreshGrants++;
            return Issue(record.Grant, issueRefreshToken: true);
        }
    }

    /// <summary>The client a refresh token was issued to (for providers whose refresh request names no client).</summary>
    public string? ClientOfRefreshToken(string refreshToken)
    {
        lock (_gate)
        {
            return _refresh.TryGetValue(refreshToken, out var record) ? record.Grant.ClientId : null;
        }
    }

    /// <summary>The grant an access token belongs to, when the token is known, unexpired and not revoked.</summary>
    public OAuthGrant? Authenticate(string? accessToken)
    {
        lock (_gate)
        {
            return accessToken is not null
                && _access.TryGetValue(accessToken, out var record)
                && !record.Revoked
                && !record.Grant.Revoked
                && (record.ExpiresAt is not { } expires || clock.GetUtcNow() < expires)
                    ? record.Grant
                    : null;
        }
    }

    /// <summary>RFC 7009: revokes an access token alone, or a refresh token together with its whole grant.</summary>
    /// <returns>The grant the token belonged to, or null for a token this server never issued (or issued to another client).</returns>
    public OAuthGrant? RevokeToken(string token, string? clientId, bool wholeGrant)
    {
        lock (_gate)
        {
            if (_refresh.TryGetValue(token, out var refresh) && (clientId is null || refresh.Grant.ClientId == clientId))
            {
                refresh.Grant.Revoked = true;
                _revocations++;
                return refresh.Grant;
            }

            if (_access.TryGetValue(token, out var access) && (clientId is null || access.Grant.ClientId == clientId))
            {
                access.Revoked = true;
                access.Grant.Revoked |= wholeGrant;
                _revocations++;
                return access.Grant;
            }

            return null;
        }
    }

    /// <summary>Revokes every grant this user gave (as if they removed the app in the provider's settings).</summary>
    public int RevokeSubject(string subject)
    {
        lock (_gate)
        {
            var count = 0;
            foreach (var grant in _grants.Where(g => g.Subject == subject && !g.Revoked))
            {
                grant.Revoked = true;
                count++;
            }

            return count;
        }
    }

    /// <summary>Every access token issued so far stops working now; refresh tokens are unaffected.</summary>
    public void ExpireAllAccessTokens()
    {
        lock (_gate)
        {
            var now = clock.GetUtcNow();
            foreach (var record in _access.Values)
            {
                record.ExpiresAt = now;
            }
        }
    }

    private OAuthIssue Issue(OAuthGrant grant, bool issueRefreshToken)
    {
        var now = clock.GetUtcNow();
        var access = policy.AccessTokenPrefix + RandomNumberGenerator.GetString(Alphabet, policy.AccessTokenRandomLength);
        _access.Add(access, new AccessRecord(grant) { ExpiresAt = now + policy.AccessTokenLifetime });
        string? refresh = null;
        if (issueRefreshToken)
        {
            refresh = policy.RefreshTokenPrefix + RandomNumberGenerator.GetString(Alphabet, policy.RefreshTokenRandomLength);
            _refresh.Add(refresh, new RefreshRecord(grant, now + policy.RefreshTokenLifetime));
        }

        return new OAuthIssue(grant, access, refresh, policy.AccessTokenLifetime, refresh is null ? null : policy.RefreshTokenLifetime, now);
    }

    private T Read<T>(Func<T> read)
    {
        lock (_gate)
        {
            return read();
        }
    }

    private sealed class CodeRecord(OAuthConsent consent, DateTimeOffset expiresAt)
    {
        public OAuthConsent Consent { get; } = consent;

        public DateTimeOffset ExpiresAt { get; } = expiresAt;

        public bool Used { get; set; }
    }

    private sealed class AccessRecord(OAuthGrant grant)
    {
        public OAuthGrant Grant { get; } = grant;

        public DateTimeOffset? ExpiresAt { get; set; }

        public bool Revoked { get; set; }
    }

    private sealed class RefreshRecord(OAuthGrant grant, DateTimeOffset? expiresAt)
    {
        public OAuthGrant Grant { get; } = grant;

        public DateTimeOffset? ExpiresAt { get; } = expiresAt;

        public DateTimeOffset? UsedAt { get; set; }
    }
}
