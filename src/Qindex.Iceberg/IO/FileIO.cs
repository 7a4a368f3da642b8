namespace Qindex.Iceberg.IO;

/// <summary>
/// Where a table's files live (the spec's "FileIO"): reads, writes and deletes by location
/// (<c>file:///...</c>, a plain absolute path, or <c>s3://bucket/key</c>). Metadata files are
/// written whole and never overwritten; data files are written locally first, then published.
/// </summary>
public interface IFileIO : IDisposable
{
    /// <summary>Reads a whole file.</summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="location"/>.</exception>
    Task<byte[]> ReadAllBytesAsync(string location, CancellationToken cancellationToken);

    /// <summary>Writes a new file; fails if one already exists there.</summary>
    Task WriteNewAsync(string location, ReadOnlyMemory<byte> content, CancellationToken cancellationToken);

    /// <summary>
    /// A local path a writer can create the file for <paramref name="location"/> at directly, or
    /// null when the file must be written elsewhere and published with <see cref="PublishAsync"/>.
    /// </summary>
    string? LocalPathOf(string location);

    /// <summary>Moves a finished local file to <paramref name="location"/> (a no-op when it is already there).</summary>
    Task PublishAsync(string localPath, string location, CancellationToken cancellationToken);

    /// <summary>Deletes a file; a missing file is not an error.</summary>
    Task DeleteAsync(string location, CancellationToken cancellationToken);

    /// <summary>
    /// A local path holding the file's content, for engines that read local files (DuckDB): the
    /// file itself when local, otherwise a copy in <paramref name="cacheDirectory"/> (data files
    /// never change once written, so a cached copy stays valid).
    /// </summary>
    Task<string> GetLocalCopyAsync(string location, string cacheDirectory, CancellationToken cancellationToken);

    /// <summary>
    /// Every file under the folder <paramref name="prefix"/> (recursively), named the way
    /// <see cref="LocalPathOf"/> names it for local files and by its location otherwise, for
    /// orphan-file cleanup.
    /// </summary>
    IAsyncEnumerable<StoredFile> ListAsync(string prefix, CancellationToken cancellationToken) =>
        throw new NotSupportedException($"{GetType().Name} cannot list files");
}

/// <summary>A file found by <see cref="IFileIO.ListAsync"/>.</summary>
/// <param name="Name">The local path (local storage) or the location (object storage).</param>
/// <param name="Location">Its location, usable with the other <see cref="IFileIO"/> calls.</param>
/// <param name="Size">Bytes.</param>
/// <param name="LastModified">When it was last written.</param>
public sealed record StoredFile(string Name, string Location, long Size, DateTimeOffset LastModified);

/// <summary>Chooses the <see cref="IFileIO"/> for a location by its scheme.</summary>
public static class FileIOFactory
{
    /// <summary>True for <c>s3://</c> and <c>s3a://</c> locations.</summary>
    public static bool IsS3(string location) =>
        location.StartsWith("s3://", StringComparison.OrdinalIgnoreCase) || location.StartsWith("s3a://", StringComparison.OrdinalIgnoreCase);

    /// <summary>The FileIO for locations like <paramref name="location"/>.</summary>
    public static IFileIO For(string location) => IsS3(location) ? new S3FileIO() : new LocalFileIO();

    /// <summary>Joins a location and a relative path with one slash.</summary>
    public static string Combine(string location, string relative) => location.TrimEnd('/') + "/" + relative.TrimStart('/');

    /// <summary>A warehouse argument as a location: absolute local paths become <c>file://</c> URIs.</summary>
    public static string ToLocation(string warehouse)
    {
        ArgumentNullException.ThrowIfNull(warehouse);
        if (IsS3(warehouse) || warehouse.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
        {
            return warehouse.TrimEnd('/');
        }

        return new Uri(Path.GetFullPath(warehouse)).AbsoluteUri.TrimEnd('/');
    }
}
