using System.Text.Json;

namespace Qindex.Qumulo;

/// <summary>
/// qq's credential file (<c>~/.qfsd_cred</c>): a JSON object with a <c>bearer_token</c>. qindex
/// reads it when no password is given, and writes its own with mode 0600.
/// </summary>
public static class QfsdCredentials
{
    public static string DefaultPath =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".qfsd_cred");

    /// <summary>The token in <paramref name="path"/>, or null when the file does not exist.</summary>
    public static async Task<string?> ReadTokenAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        await using var stream = File.OpenRead(path);
        try
        {
            using var document = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("bearer_token", out var token)
                && token.ValueKind == JsonValueKind.String
                && !string.IsNullOrEmpty(token.GetString()))
            {
                return token.GetString();
            }
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not a JSON credential file: {e.Message}", e);
        }

        throw new InvalidDataException($"{path} has no 'bearer_token' string.");
    }

    /// <summary>Writes a credential file readable by its owner only (created with mode 0600, never widened).</summary>
    public static async Task WriteTokenAsync(string path, string token, CancellationToken cancellationToken)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        await using (var stream = new FileStream(path, options))
        {
            await JsonSerializer.SerializeAsync(stream, new Dictionary<string, string> { ["bearer_token"] = token }, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        if (!OperatingSystem.IsWindows())
        {
            // An existing file keeps its old mode on create; tighten it explicitly.
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }
}
