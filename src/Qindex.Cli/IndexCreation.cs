using Qindex.Index.Store;

namespace Qindex.Cli;

/// <summary>
/// A verb that may create its index (crawl, import, watch): if the index directory did not exist
/// (or was empty) before, and the verb ends without <see cref="Complete"/>, the directory is put
/// back as it was, so a crawl that fails before writing leaves nothing behind. Dispose it after
/// the store (declare it first).
/// </summary>
internal sealed class IndexCreation : IAsyncDisposable
{
    private readonly IndexLocation _location;
    private readonly string _directory;
    private readonly bool _existed;
    private readonly bool _fresh;
    private bool _completed;

    public IndexCreation(IndexLocation location)
    {
        _location = location;
        _directory = Path.GetFullPath(location.IndexDirectory);
        _existed = Directory.Exists(_directory);
        _fresh = !_existed || !Directory.EnumerateFileSystemEntries(_directory).Any();
    }

    /// <summary>Opens the index, creating it when missing.</summary>
    public Task<IIndexStore> OpenAsync(CancellationToken cancellationToken) => IndexStoreFactory.OpenAsync(_location, cancellationToken);

    /// <summary>The verb succeeded: keep what it created.</summary>
    public void Complete() => _completed = true;

    public ValueTask DisposeAsync()
    {
        if (_completed || !_fresh || !Directory.Exists(_directory))
        {
            return ValueTask.CompletedTask;
        }

        try
        {
            if (_existed)
            {
                foreach (var entry in new DirectoryInfo(_directory).EnumerateFileSystemInfos())
                {
                    if (entry is DirectoryInfo d)
                    {
                        d.Delete(recursive: true);
                    }
                    else
                    {
                        entry.Delete();
                    }
                }
            }
            else
            {
                Directory.Delete(_directory, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The error that ended the verb is what the user needs to see; a leftover empty
            // index is harmless (the next crawl or import fills it).
        }

        return ValueTask.CompletedTask;
    }
}
