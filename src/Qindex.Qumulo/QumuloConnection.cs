namespace Qindex.Qumulo;

/// <summary>
/// How to reach and authenticate to a cluster. TLS verification is on unless
/// <see cref="Insecure"/> is set: the system trust store by default, or exactly the given CA
/// certificate, or exactly the certificate with the given SHA-256 fingerprint.
/// </summary>
public sealed record QumuloConnection
{
    public required string Host { get; init; }
    public int Port { get; init; } = 8000;
    public string? User { get; init; }

    /// <summary>Never logged or shown; see <see cref="ToString"/>.</summary>
    public string? Password { get; init; }

    /// <summary>A bearer token obtained elsewhere (qq's ~/.qfsd_cred); used when no password is given.</summary>
    public string? BearerToken { get; init; }

    /// <summary>PEM file of a CA (or the self-signed certificate itself) to trust instead of the system store.</summary>
    public string? CaCertificateFile { get; init; }

    /// <summary>Hex SHA-256 of the server certificate to accept (colons and case ignored).</summary>
    public string? PinSha256 { get; init; }

    /// <summary>Accept any certificate. Only when the user asked for it.</summary>
    public bool Insecure { get; init; }

    /// <summary>Attempts for a retryable failure (429, 503, reset connection) before giving up.</summary>
    public int MaxAttempts { get; init; } = 6;

    /// <summary>First backoff delay; doubles each attempt, with jitter.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Safety cap on one notify (SSE) message, in bytes. Lines have no other limit; a message past
    /// the cap stops the stream with <see cref="SseMessageTooLargeException"/>, never silently.
    /// </summary>
    public int MaxNotifyMessageBytes { get; init; } = ServerSentEvents.DefaultMaxMessageBytes;

    public Uri BaseAddress => new UriBuilder(Uri.UriSchemeHttps, Host, Port).Uri;

    /// <summary>Omits the password and token so a connection can be logged safely.</summary>
    public override string ToString() =>
        $"{BaseAddress} user={User ?? "(token)"} tls={(Insecure ? "insecure" : PinSha256 is not null ? "pinned" : CaCertificateFile is not null ? "ca-file" : "system")}";
}
