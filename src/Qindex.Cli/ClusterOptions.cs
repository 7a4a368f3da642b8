using System.CommandLine;
using Qindex.Qumulo;

namespace Qindex.Cli;

/// <summary>
/// The options that say how to reach a cluster, named the same in every verb: --host, --port,
/// --user, --password, --ca-cert, --pin-sha256, --insecure. Credentials fall back to
/// QINDEX_USER / QINDEX_PASSWORD, then to the token in qq's ~/.qfsd_cred.
/// </summary>
internal sealed class ClusterOptions
{
    public Option<string> Host { get; } = new("--host") { Description = "Cluster (or simulator) host name or address.", Required = true };
    public Option<int> Port { get; } = new Option<int>("--port") { Description = "REST port.", DefaultValueFactory = _ => 8000 }.IsPort();
    public Option<string?> User { get; } = new("--user") { Description = "User to log in as (default: QINDEX_USER, else the token in ~/.qfsd_cred)." };
    public Option<string?> Password { get; } = new("--password") { Description = "Password (default: QINDEX_PASSWORD). Never logged." };
    public Option<string?> CaCert { get; } = new("--ca-cert") { Description = "PEM certificate to trust (e.g. the simulator's --cert-out file)." };
    public Option<string?> PinSha256 { get; } = new("--pin-sha256") { Description = "Accept exactly the certificate with this SHA-256 fingerprint (hex)." };
    public Option<bool> Insecure { get; } = new("--insecure") { Description = "Do not verify the server certificate (not recommended)." };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Host, Port, User, Password, CaCert, PinSha256, Insecure })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>The connection the parsed options describe; reads the qq token only when no password is available.</summary>
    public async Task<QumuloConnection> ConnectionAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var user = parse.GetValue(User) ?? Environment.GetEnvironmentVariable("QINDEX_USER");
        var password = parse.GetValue(Password) ?? Environment.GetEnvironmentVariable("QINDEX_PASSWORD");
        string? token = null;
        if (password is null)
        {
            try
            {
                token = await QfsdCredentials.ReadTokenAsync(QfsdCredentials.DefaultPath, cancellationToken);
            }
            catch (InvalidDataException e)
            {
                throw new CommandException($"{e.Message} Log in again with qq, or give --user and --password.", e);
            }
        }

        var pins = new[] { parse.GetValue(CaCert) is not null, parse.GetValue(PinSha256) is not null, parse.GetValue(Insecure) }.Count(x => x);
        if (pins > 1)
        {
            throw new UsageException("Give at most one of --ca-cert, --pin-sha256 and --insecure.");
        }

        if (password is not null && user is null)
        {
            user = "admin";
        }

        if (password is null && token is null)
        {
            throw new UsageException("No credentials: give --user and --password, set QINDEX_USER and QINDEX_PASSWORD, or log in with qq (~/.qfsd_cred).");
        }

        return CheckTrust(new QumuloConnection
        {
            Host = parse.GetValue(Host)!,
            Port = parse.GetValue(Port),
            User = user,
            Password = password,
            BearerToken = token,
            CaCertificateFile = parse.GetValue(CaCert),
            PinSha256 = parse.GetValue(PinSha256),
            Insecure = parse.GetValue(Insecure),
        });
    }

    /// <summary>A connection with only the address and TLS settings (for the simulator's fault API, which needs no login).</summary>
    public QumuloConnection TlsOnlyConnection(ParseResult parse) => CheckTrust(new QumuloConnection
    {
        Host = parse.GetValue(Host)!,
        Port = parse.GetValue(Port),
        CaCertificateFile = parse.GetValue(CaCert),
        PinSha256 = parse.GetValue(PinSha256),
        Insecure = parse.GetValue(Insecure),
    });

    /// <summary>
    /// Reads the --ca-cert file and checks the --pin-sha256 value now, so a file that holds no PEM
    /// certificate is reported as such before any connection is tried.
    /// </summary>
    private static QumuloConnection CheckTrust(QumuloConnection connection)
    {
        try
        {
            TlsPolicy.CreateValidator(connection);
        }
        catch (Exception e) when (e is InvalidDataException or System.Security.Cryptography.CryptographicException or FileNotFoundException)
        {
            throw new CommandException($"--ca-cert {connection.CaCertificateFile}: not a usable PEM certificate file ({e.Message.TrimEnd('.')}). Give the PEM file the cluster's certificate was exported to, for example the simulator's --cert-out file.", e);
        }
        catch (FormatException e)
        {
            throw new UsageException(e.Message, e);
        }

        return connection;
    }
}
