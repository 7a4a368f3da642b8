namespace Qindex.Iceberg.IO;

/// <summary>Files on local disk, addressed by <c>file:</c> URIs or absolute paths.</summary>
public sealed class LocalFileIO : IFileIO
{
    /// <summary>The local path of a <c>file:</c> URI or absolute path.</summary>
    public static string ToPath(string location)
    {
        ArgumentNullException.ThrowIfNull(location);
        if (location.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
        {
            return new Uri(location).LocalPath;
        }

        if (!Path.IsPathFullyQualified(location))
        {
            throw new IcebergException($"'{location}' is not a local file location (expected file:///... or an absolute path)");
        }

        return location;
    }

    public async Task<byte[]> ReadAllBytesAsync(string location, CancellationToken cancellationToken) =>
        await File.ReadAllBytesAsync(ToPath(location), cancellationToken).ConfigureAwait(false);

    public async Task WriteNewAsync(string location, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        string path = ToPath(location);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);

        // Write beside, then link into place without replacing: a crash never leaves a torn
        // metadata file where a reader may look.
        string temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            await File.WriteAllBytesAsync(temp, content, cancellationToken).ConfigureAwait(false);
            File.Move(temp, path, overwrite: false);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    public string? LocalPathOf(string location) => ToPath(location);

    public async IAsyncEnumerable<StoredFile> ListAsync(string prefix, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string root = ToPath(prefix);
        if (!Directory.Exists(root))
        {
            yield break;
        }

        foreach (var path in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var info = new FileInfo(path);
            if (info.Exists)
            {
                yield return new StoredFile(path, path, info.Length, info.LastWriteTimeUtc);
            }
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    public Task PublishAsync(string localPath, string location, CancellationToken cancellationToken)
    {
        string path = ToPath(location);
        if (!string.Equals(Path.GetFullPath(localPath), Path.GetFullPath(path), StringComparison.Ordinal))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.Move(localPath, path, overwrite: false);
        }

        return Task.CompletedTask;
    }

    public Task DeleteAsync(string location, CancellationToken cancellationToken)
    {
        File.Delete(ToPath(location));
        return Task.CompletedTask;
    }

    public Task<string> GetLocalCopyAsync(string location, string cacheDirectory, CancellationToken cancellationToken) =>
        Task.FromResult(ToPath(location));

    public void Dispose()
    {
    }
}
