using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Qindex.Qumulo;

/// <summary>
/// Server certificate checks for the three ways a cluster can be trusted. The default is the
/// platform's own validation; a CA file replaces the trust store with that certificate (clusters
/// usually present a self-signed one); a pin accepts exactly one certificate.
/// </summary>
public static class TlsPolicy
{
    /// <summary>Returns the validation callback for <paramref name="connection"/>, or null for the platform default.</summary>
    public static Func<X509Certificate2, X509Chain?, SslPolicyErrors, bool>? CreateValidator(QumuloConnection connection)
    {
        if (connection.Insecure)
        {
            return static (_, _, _) => true;
        }

        if (connection.PinSha256 is { } pin)
        {
            var expected = NormalizeFingerprint(pin);
            return (certificate, _, _) =>
                CryptographicOperations.FixedTimeEquals(
                    Convert.FromHexString(expected), SHA256.HashData(certificate.RawData));
        }

        if (connection.CaCertificateFile is { } caFile)
        {
            if (!File.Exists(caFile))
            {
                throw new FileNotFoundException($"CA certificate file not found: {caFile}", caFile);
            }

            var roots = new X509Certificate2Collection();
            roots.ImportFromPemFile(caFile);
            if (roots.Count == 0)
            {
                throw new InvalidDataException($"No PEM certificate found in {caFile}");
            }

            return (certificate, _, errors) =>
            {
                // The name must still match; only the chain's anchor is replaced.
                if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0
                    || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
                {
                    return false;
                }

                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(roots);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(certificate);
            };
        }

        return null;
    }

    /// <summary>Applies the connection's certificate checks to <paramref name="handler"/> (nothing to do for the platform default).</summary>
    public static void Configure(SocketsHttpHandler handler, QumuloConnection connection)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var validator = CreateValidator(connection);
        if (validator is not null)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                certificate is not null && validator(new X509Certificate2(certificate), chain, errors);
        }
    }

    /// <summary>Lowercase hex without separators; rejects anything that is not 32 bytes of hex.</summary>
    public static string NormalizeFingerprint(string fingerprint)
    {
        var hex = fingerprint.Replace(":", string.Empty, StringComparison.Ordinal).Trim().ToLowerInvariant();
        if (hex.Length != 64 || !hex.All(Uri.IsHexDigit))
        {
            throw new FormatException("--pin-sha256 must be the 64 hex digits of the certificate's SHA-256 fingerprint.");
        }

        return hex;
    }
}
