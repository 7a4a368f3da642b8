using System.Text.RegularExpressions;

namespace Qindex.Cli;

/// <summary>
/// Removes secrets from text the command line prints or writes: the password part of any
/// <c>scheme://user:password@host</c> URI (REST and PostgreSQL catalog URIs), and the values of
/// secrets the user handed over (<c>--password</c>, <c>QINDEX_PASSWORD</c>, <c>QINDEX_CATALOG_TOKEN</c>).
/// </summary>
internal static partial class Redaction
{
    /// <summary>What replaces a secret.</summary>
    public const string Mask = "***";

    /// <summary>The environment variables that may hold a secret.</summary>
    public static readonly IReadOnlyList<string> SecretVariables = ["QINDEX_PASSWORD", "QINDEX_CATALOG_TOKEN"];

    /// <summary>Options whose value is a secret.</summary>
    public static readonly IReadOnlyList<string> SecretOptions = ["--password"];

    /// <summary>The secret values present in <paramref name="args"/> and the environment.</summary>
    public static IReadOnlyList<string> KnownSecrets(IReadOnlyList<string> args)
    {
        var secrets = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            foreach (var option in SecretOptions)
            {
                if (args[i] == option && i + 1 < args.Count)
                {
                    secrets.Add(args[i + 1]);
                }
                else if (args[i].StartsWith(option + "=", StringComparison.Ordinal))
                {
                    secrets.Add(args[i][(option.Length + 1)..]);
                }
            }
        }

        secrets.AddRange(SecretVariables.Select(Environment.GetEnvironmentVariable).OfType<string>());

        // Very short values (a one-letter test password) would mask ordinary words; URIs are
        // still redacted by shape.
        return secrets.Where(s => s.Length >= 4).Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary><paramref name="text"/> with URI passwords and <paramref name="secrets"/> masked.</summary>
    public static string Apply(string text, IReadOnlyList<string>? secrets = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = UriPassword().Replace(text, m => m.Groups["prefix"].Value + Mask + "@");
        foreach (var secret in secrets ?? [])
        {
            result = result.Replace(secret, Mask, StringComparison.Ordinal);
        }

        return result;
    }

    [GeneratedRegex(@"(?<prefix>\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^/\s:@]*:)[^/\s@]*@")]
    private static partial Regex UriPassword();
}
