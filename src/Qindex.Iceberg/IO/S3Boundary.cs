using System.Runtime.CompilerServices;
using Amazon.Runtime;

namespace Qindex.Iceberg.IO;

/// <summary>
/// Where S3 errors enter qindex: wraps the <see cref="S3FileIO"/> so a refusal (access denied, no
/// such bucket, throttling past the SDK's retries) or an unreachable endpoint arrives as a
/// <see cref="StorageException"/> (an <see cref="IOException"/>) naming the location, as a local disk's failure would, instead
/// of an SDK exception. A missing object stays a <see cref="FileNotFoundException"/>.
/// </summary>
internal sealed class S3Boundary(IFileIO inner) : IFileIO
{
    public Task<byte[]> ReadAllBytesAsync(string location, CancellationToken cancellationToken) =>
        GuardAsync(location, () => inner.ReadAllBytesAsync(location, cancellationToken));

    public Task WriteNewAsync(string location, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) =>
        GuardAsync(location, async () =>
        {
            await inner.WriteNewAsync(location, content, cancellationToken).ConfigureAwait(false);
            return true;
        });

    public Task WriteAsync(string location, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) =>
        GuardAsync(location, async () =>
        {
            await inner.WriteAsync(location, content, cancellationToken).ConfigureAwait(false);
            return true;
        });

    public string? LocalPathOf(string location) => inner.LocalPathOf(location);

    public Task PublishAsync(string localPath, string location, CancellationToken cancellationToken) =>
        GuardAsync(location, async () =>
        {
            await inner.PublishAsync(localPath, location, cancellationToken).ConfigureAwait(false);
            return true;
        });

    public Task DeleteAsync(string location, CancellationToken cancellationToken) =>
        GuardAsync(location, async () =>
        {
            await inner.DeleteAsync(location, cancellationToken).ConfigureAwait(false);
            return true;
        });

    public Task<string> GetLocalCopyAsync(string location, string cacheDirectory, CancellationToken cancellationToken) =>
        GuardAsync(location, () => inner.GetLocalCopyAsync(location, cacheDirectory, cancellationToken));

    public async IAsyncEnumerable<StoredFile> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var files = inner.ListAsync(prefix, cancellationToken).GetAsyncEnumerator(cancellationToken);
        try
        {
            while (await GuardAsync(prefix, async () => await files.MoveNextAsync().ConfigureAwait(false)).ConfigureAwait(false))
            {
                yield return files.Current;
            }
        }
        finally
        {
            await files.DisposeAsync().ConfigureAwait(false);
        }
    }

    public void Dispose() => inner.Dispose();

    private static async Task<T> GuardAsync<T>(string location, Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (AmazonServiceException e)
        {
            throw new StorageException($"{location}: S3 refused the request ({(int)e.StatusCode} {e.ErrorCode}: {e.Message})", e);
        }
        catch (AmazonClientException e)
        {
            throw new StorageException($"{location}: cannot reach S3 ({e.Message})", e);
        }
        catch (HttpRequestException e)
        {
            throw new StorageException($"{location}: cannot reach S3 ({e.Message})", e);
        }
    }
}
