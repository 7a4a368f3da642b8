using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Qindex.Index.Tests;

/// <summary>
/// A minimal S3-compatible object store for tests (path-style PUT, GET, HEAD, DELETE; the
/// <c>If-None-Match: *</c> precondition; <c>aws-chunked</c> bodies as the AWS SDK sends them). It
/// does not check signatures: what it proves is that qindex's S3 FileIO stores and finds every
/// object of the table where the locations say.
/// </summary>
internal sealed class FakeS3Server : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeS3Server(WebApplication app) => _app = app;

    public ConcurrentDictionary<string, byte[]> Objects { get; } = new(StringComparer.Ordinal);

    public Uri BaseAddress { get; private set; } = null!;

    public static async Task<FakeS3Server> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new FakeS3Server(app);
        app.Run(async context =>
        {
            string key = Uri.UnescapeDataString(context.Request.Path.Value!.TrimStart('/'));
            switch (context.Request.Method)
            {
                case "PUT":
                    using (var buffer = new MemoryStream())
                    {
                        await context.Request.Body.CopyToAsync(buffer);
                        byte[] body = IsChunked(context.Request) ? Unchunk(buffer.ToArray()) : buffer.ToArray();
                        if (context.Request.Headers.IfNoneMatch == "*" && !server.Objects.TryAdd(key, body))
                        {
                            context.Response.StatusCode = 412;
                            await context.Response.WriteAsync("<Error><Code>PreconditionFailed</Code></Error>");
                            return;
                        }

                        server.Objects[key] = body;
                    }

                    context.Response.Headers.ETag = ETag(server.Objects[key]);
                    return;
                case "GET" or "HEAD":
                    if (!server.Objects.TryGetValue(key, out var content))
                    {
                        context.Response.StatusCode = 404;
                        await context.Response.WriteAsync("<Error><Code>NoSuchKey</Code></Error>");
                        return;
                    }

                    context.Response.ContentLength = content.Length;
                    context.Response.Headers.ETag = ETag(content);
                    if (context.Request.Method == "GET")
                    {
                        await context.Response.Body.WriteAsync(content);
                    }

                    return;
                case "DELETE":
                    server.Objects.TryRemove(key, out _);
                    context.Response.StatusCode = 204;
                    return;
                default:
                    context.Response.StatusCode = 405;
                    return;
            }
        });
        await app.StartAsync();
        server.BaseAddress = new Uri(app.Urls.First());
        return server;
    }

    /// <summary>S3's ETag of a single-part object: the MD5 of its content, which the SDK checks.</summary>
    private static string ETag(byte[] content) => "\"" + Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(content)) + "\"";

    private static bool IsChunked(HttpRequest request) =>
        request.Headers.ContentEncoding.ToString().Contains("aws-chunked", StringComparison.Ordinal)
        || request.Headers["x-amz-content-sha256"].ToString().StartsWith("STREAMING-", StringComparison.Ordinal);

    /// <summary>Decodes <c>aws-chunked</c>: hex size[;extensions] CRLF data CRLF ..., ending with a zero-size chunk and optional trailers.</summary>
    private static byte[] Unchunk(byte[] body)
    {
        using var output = new MemoryStream();
        int position = 0;
        while (position < body.Length)
        {
            int lineEnd = body.AsSpan(position).IndexOf("\r\n"u8);
            string header = Encoding.ASCII.GetString(body, position, lineEnd);
            int size = Convert.ToInt32(header.Split(';')[0], 16);
            position += lineEnd + 2;
            if (size == 0)
            {
                break;
            }

            output.Write(body, position, size);
            position += size + 2;
        }

        return output.ToArray();
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
