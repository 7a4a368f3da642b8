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
