using System.Net;
using Amazon.S3;
using Amazon.S3.Model;

namespace Qindex.Iceberg.IO;

/// <summary>
/// Files in S3 or an S3-compatible store, addressed as <c>s3://bucket/key</c>. Credentials and
/// region come from the standard AWS settings (environment, profile, instance role); an endpoint
/// other than AWS's comes from <c>AWS_ENDPOINT_URL_S3</c> or <c>AWS_ENDPOINT_URL</c> and is used
/// with path-style addressing, as S3-compatible stores expect.
/// </summary>
public sealed class S3FileIO : IFileIO
{
    private readonly AmazonS3Client _client;

    public S3FileIO()
        : this(Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_S3") ?? Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL"))
    {
    }

    public S3FileIO(string? endpoint)
    {
        var config = new AmazonS3Config();
        if (!string.IsNullOrEmpty(endpoint))
        {
            config.ServiceURL = endpoint;
            config.ForcePathStyle = true;
            config.AuthenticationRegion = Environment.GetEnvironmentVariable("AWS_REGION") ?? Environment.GetEnvironmentVariable("AWS_DEFAULT_REGION") ?? "us-east-1";
        }

        _client = new AmazonS3Client(config);
    }

    /// <summary>Splits <c>s3://bucket/key</c>.</summary>
    public static (string Bucket, string Key) Parse(string location)
    {
        ArgumentNullException.ThrowIfNull(location);
        int scheme = location.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0 || !FileIOFactory.IsS3(location))
        {
            throw new IcebergException($"'{location}' is not an s3:// location");
        }

        string rest = location[(scheme + 3)..];
        int slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == rest.Length - 1)
        {
            throw new IcebergException($"'{location}' names no bucket and key (expected s3://bucket/key)");
        }

        return (rest[..slash], rest[(slash + 1)..]);
    }

    public async Task<byte[]> ReadAllBytesAsync(string location, CancellationToken cancellationToken)
    {
        var (bucket, key) = Parse(location);
        try
        {
            using var response = await _client.GetObjectAsync(bucket, key, cancellationToken).ConfigureAwait(false);
            using var buffer = new MemoryStream();
            await response.ResponseStream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
            return buffer.ToArray();
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            throw new FileNotFoundException($"{location}: no such object", location, e);
        }
    }

    public async Task WriteNewAsync(string location, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var (bucket, key) = Parse(location);
        using var body = new MemoryStream(content.ToArray(), writable: false);
        try
        {
            await _client.PutObjectAsync(
                new PutObjectRequest { BucketName = bucket, Key = key, InputStream = body, IfNoneMatch = "*" },
                cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.PreconditionFailed)
        {
            throw new IcebergException($"{location} already exists", e);
        }
    }

    public string? LocalPathOf(string location) => null;

    public async Task PublishAsync(string localPath, string location, CancellationToken cancellationToken)
    {
        var (bucket, key) = Parse(location);
        await _client.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, FilePath = localPath }, cancellationToken).ConfigureAwait(false);
        File.Delete(localPath);
    }

    public async Task DeleteAsync(string location, CancellationToken cancellationToken)
    {
        var (bucket, key) = Parse(location);
        await _client.DeleteObjectAsync(bucket, key, cancellationToken).ConfigureAwait(false);
    }

    public async Task<string> GetLocalCopyAsync(string location, string cacheDirectory, CancellationToken cancellationToken)
    {
        var (bucket, key) = Parse(location);
        string path = Path.Combine(cacheDirectory, bucket, key.Replace('/', Path.DirectorySeparatorChar));
        if (File.Exists(path))
        {
            return path;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        using (var response = await _client.GetObjectAsync(bucket, key, cancellationToken).ConfigureAwait(false))
        {
            await using var file = File.Create(temp);
            await response.ResponseStream.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
        }

        File.Move(temp, path, overwrite: true);
        return path;
    }

    public async IAsyncEnumerable<StoredFile> ListAsync(string prefix, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var (bucket, key) = Parse(prefix.TrimEnd('/') + "/");
        string scheme = prefix[..(prefix.IndexOf("://", StringComparison.Ordinal) + 3)];
        var request = new ListObjectsV2Request { BucketName = bucket, Prefix = key };
        while (true)
        {
            var response = await _client.ListObjectsV2Async(request, cancellationToken).ConfigureAwait(false);
            foreach (var o in response.S3Objects ?? [])
            {
                string location = scheme + bucket + "/" + o.Key;
                yield return new StoredFile(location, location, o.Size ?? 0, o.LastModified is { } t ? new DateTimeOffset(t.ToUniversalTime(), TimeSpan.Zero) : DateTimeOffset.UnixEpoch);
            }

            if (response.IsTruncated != true)
            {
                yield break;
            }

            request.ContinuationToken = response.NextContinuationToken;
        }
    }

    public void Dispose() => _client.Dispose();
}
