using System.CommandLine;
using System.Globalization;
using System.Numerics;

namespace Qindex.Cli;

/// <summary>
/// Checks of option values that run while the command line is parsed, so a bad value is a usage
/// error (exit 2) whose message names the option, before any work starts.
/// </summary>
internal static class OptionValidation
{
    /// <summary>The value must lie in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static Option<T> InRange<T>(this Option<T> option, T min, T max, string? why = null)
        where T : struct, INumber<T>
    {
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<T>();
            if (T.IsNaN(value) || value < min || value > max)
            {
                result.AddError(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{option.Name} must be between {min:N0} and {max:N0}{(why is null ? "" : " (" + why + ")")}, not {value}."));
            }
        });
        return option;
    }

    /// <summary>The value must be a positive duration (see <see cref="TryParseDuration"/>); <paramref name="examples"/> go in the error.</summary>
    public static Option<string> IsDuration(this Option<string> option, string examples)
    {
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            if (value is null || !TryParseDuration(value, out _))
            {
                result.AddError($"{option.Name} takes a positive duration such as {examples}, not '{value}'.");
            }
        });
        return option;
    }

    /// <summary>Parses a positive duration: a number followed by ms, s, m, h or d (500ms, 1.5s, 12h, 30d).</summary>
    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        ArgumentNullException.ThrowIfNull(text);
        duration = default;
        (string Unit, double Seconds)[] units = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400)];
        foreach (var (unit, seconds) in units)
        {
            if (text.EndsWith(unit, StringComparison.Ordinal)
                && double.TryParse(text.AsSpan(0, text.Length - unit.Length), NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
                && value > 0
                && value * seconds <= TimeSpan.MaxValue.TotalSeconds / 2)
            {
                duration = TimeSpan.FromSeconds(value * seconds);
                return true;
            }
        }

        return false;
    }

    /// <summary>A duration the option's validator accepted.</summary>
    public static TimeSpan Duration(string text) =>
        TryParseDuration(text, out var duration) ? duration : throw new ArgumentException($"not a duration: '{text}'", nameof(text));

    /// <summary>The value must be at least <paramref name="min"/>.</summary>
    public static Option<T> AtLeast<T>(this Option<T> option, T min)
        where T : struct, INumber<T>
    {
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<T>();
            if (T.IsNaN(value) || value < min)
            {
                result.AddError(string.Create(CultureInfo.InvariantCulture, $"{option.Name} must be at least {min}, not {value}."));
            }
        });
        return option;
    }

    /// <summary>A TCP port: 1 to 65535 (0 too when <paramref name="allowAny"/>: the system picks one).</summary>
    public static Option<int> IsPort(this Option<int> option, bool allowAny = false) =>
        option.InRange(allowAny ? 0 : 1, 65535, allowAny ? "0 picks a free port" : null);

    /// <summary>An optional TCP port: when given, 1 to 65535.</summary>
    public static Option<int?> IsOptionalPort(this Option<int?> option)
    {
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is { } value && value is < 1 or > 65535)
            {
                result.AddError(string.Create(CultureInfo.InvariantCulture, $"{option.Name} must be between 1 and 65,535, not {value}."));
            }
        });
        return option;
    }

    /// <summary>
    /// An address to listen on: an IP address of this machine, or <c>*</c> (also <c>0.0.0.0</c>
    /// and <c>::</c>) for every interface. Host names are refused: what a name resolves to, and
    /// so who can reach the endpoint, is not what the operator can see on the command line.
    /// </summary>
    public static Option<string> IsListenAddress(this Option<string> option)
    {
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            // IPAddress.TryParse also takes "10" (0.0.0.10) and "127.1": an address is written out in full.
            var written = value is not null && (value.Contains(':', StringComparison.Ordinal) || value.Split('.').Length == 4);
            if (value is not ("*" or "+") && !(written && System.Net.IPAddress.TryParse(value, out _)))
            {
                result.AddError($"{option.Name} takes an IP address of this machine (127.0.0.1, ::1, 10.0.0.5) or * for every interface, not '{value}'.");
            }
        });
        return option;
    }

    /// <summary>The host part of an HTTP listener prefix for an address <see cref="IsListenAddress"/> accepted.</summary>
    public static string ListenerHost(string address)
    {
        if (address is "*" or "+")
        {
            return "+";
        }

        var ip = System.Net.IPAddress.Parse(address);
        if (ip.Equals(System.Net.IPAddress.Any) || ip.Equals(System.Net.IPAddress.IPv6Any))
        {
            return "+";
        }

        return ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{ip}]" : ip.ToString();
    }

    /// <summary>A directory on the cluster: absolute, as the REST API names it.</summary>
    public static Option<string> IsClusterPath(this Option<string> option)
    {
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            if (value is null || !value.StartsWith('/'))
            {
                result.AddError($"{option.Name} must be an absolute path on the cluster, starting with '/' (for example /data), not '{value}'.");
            }
        });
        return option;
    }

    /// <summary>A file to write: not an existing directory.</summary>
    public static Option<string?> IsOutputFile(this Option<string?> option)
    {
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } value && Directory.Exists(value))
            {
                result.AddError($"{option.Name} names a directory ({value}); give the path of a file to write.");
            }
        });
        return option;
    }

    /// <summary>A catalog URI: <c>postgresql://</c> (or <c>postgres://</c>), <c>https://</c> or <c>http://</c>.</summary>
    public static Option<string?> IsCatalogUri(this Option<string?> option)
    {
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } value
                && !new[] { "postgresql://", "postgres://", "https://", "http://" }.Any(p => value.StartsWith(p, StringComparison.OrdinalIgnoreCase)))
            {
                // The value may hold a password: name the scheme only.
                var scheme = value.Contains("://", StringComparison.Ordinal) ? value[..value.IndexOf("://", StringComparison.Ordinal)] + "://" : "no scheme";
                result.AddError($"{option.Name} must be postgresql://user@host/db (SQL catalog) or https://host/ (REST catalog), not {scheme}.");
            }
        });
        return option;
    }

    /// <summary>A directory: not an existing regular file.</summary>
    public static Option<string> IsDirectory(this Option<string> option)
    {
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is { } value && File.Exists(value))
            {
                result.AddError($"{option.Name} names a file ({value}); give a directory.");
            }
        });
        return option;
    }
}
