using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Qindex.Simulator.Http;

/// <summary>
/// A built-in user. <see cref="DataAdministrator"/> holds every privilege the API checks;
/// without it (the <c>reader</c> user) the user may read but not write, take or delete
/// snapshots, change settings, or watch recursively. <see cref="Snapshots"/> false (the
/// <c>watcher</c> user, a data administrator whose role leaves out the snapshot privileges)
/// refuses every snapshot call, reading ones included, with 403.
/// </summary>
internal sealed record SimUser(string Name, string Password, string Id, bool DataAdministrator, bool Snapshots = true);

/// <summary>Users and bearer tokens. Expiring tokens (a fault) forgets every one of them.</summary>
internal sealed class Sessions
{
    private readonly ConcurrentDictionary<string, SimUser> _tokens = new(StringComparer.Ordinal);
    private readonly IReadOnlyList<SimUser> _users;

    public Sessions(string adminUser, string adminPassword)
    {
        _users =
        [
            new SimUser(adminUser, adminPassword, "500", DataAdministrator: true),
            new SimUser("reader", "reader", "1001", DataAdministrator: false),
            new SimUser("watcher", "watcher", "1002", DataAdministrator: true, Snapshots: false),
        ];
    }

    public string? Login(string? user, string? password)
    {
        var match = _users.FirstOrDefault(u => u.Name == user && CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.UTF8.GetBytes(u.Password), System.Text.Encoding.UTF8.GetBytes(password ?? string.Empty)));
        if (match is null)
        {
            return null;
        }

        var token = "session-v1:" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));
        _tokens[token] = match;
        return token;
    }

    public SimUser? Authenticate(string? authorization)
    {
        const string prefix = "Bearer ";
        if (authorization is null || !authorization.StartsWith(prefix, StringComparison.Ordinal))
        {
            return null;
        }

        return _tokens.TryGetValue(authorization[prefix.Length..], out var user) ? user : null;
    }

    public void ExpireAll() => _tokens.Clear();
}
