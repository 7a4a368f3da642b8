using System.Text;

namespace Qindex.Qumulo.Tests;

public class ServerSentEventsTests
{
    private static async Task<List<SseMessage>> ReadAll(string text)
    {
        var messages = new List<SseMessage>();
        await using var stream = new MemoryStream(Encoding.UTF8.GetBytes(text));
        await foreach (var message in ServerSentEvents.ReadAsync(stream, CancellationToken.None))
        {
            messages.Add(message);
        }

        return messages;
    }

    [Fact]
    public async Task Comments_and_data_messages_are_told_apart()
    {
        var messages = await ReadAll(": watch registered\n\ndata: [1]\n\n:keep-alive\ndata: [2]\n\n");
        Assert.Equal(4, messages.Count);
        Assert.Equal("watch registered", messages[0].Comment);
        Assert.Equal("[1]", messages[1].Data);
        Assert.Equal("keep-alive", messages[2].Comment);
        Assert.Equal("[2]", messages[3].Data);
    }

    [Fact]
    public async Task Multi_line_data_is_joined_with_newlines()
    {
        var messages = await ReadAll("data: [\ndata: 1]\n\n");
        Assert.Equal("[\n1]", Assert.Single(messages).Data);
    }

    [Fact]
    public async Task A_payload_is_parsed_from_the_bytes_it_arrived_in_as_its_string_would_be()
    {
        const string payload = """[{"type":"child_file_added","path":"caf\u00e9/it's \"q\"\n100%","spine":["2","7"]},{"type":"child_dir_added","path":"日本/","spine":[]}]""";
        var message = Assert.Single(await ReadAll("data: " + payload + "\n\n"));

        Assert.Equal(Encoding.UTF8.GetBytes(payload), message.DataUtf8);
        Assert.Null(message.Comment);
        var fromBytes = Notification.ParsePayload(message.DataUtf8!, "/w/");
        var fromString = Notification.ParsePayload(payload, "/w/");
        Assert.Equal(2, fromBytes.Count);
        Assert.Equal("/w/café/it's \"q\"\n100%", fromBytes[0].Path);
        Assert.Equal(["2", "7"], fromBytes[0].Spine);
        Assert.Equal("/w/日本/", fromBytes[1].Path);
        Assert.Equal(fromString.Select(n => (n.Type, n.Path, n.RelativePath, string.Join(',', n.Spine))), fromBytes.Select(n => (n.Type, n.Path, n.RelativePath, string.Join(',', n.Spine))));
        Assert.Equal(payload, message.Data);

        // A malformed payload read as bytes still carries itself, as text, in the error.
        var bad = Assert.Single(await ReadAll("data: [{\"type\":\"café\"}]\n\n"));
        var e = Assert.Throws<NotifyPayloadException>(() => Notification.ParsePayload(bad.DataUtf8!, "/"));
        Assert.Equal("[{\"type\":\"café\"}]", e.Payload);

        // Bytes that are not UTF-8 make a malformed payload (the watcher reconnects and catches
        // up), not a path with replacement characters.
        byte[] invalid = [.. "[{\"type\":\"child_file_added\",\"path\":\"a"u8, 0xFF, .. "\"}]"u8];
        var notUtf8 = Assert.Throws<NotifyPayloadException>(() => Notification.ParsePayload(invalid, "/"));
        Assert.Contains("\uFFFD", notUtf8.Payload, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_message_cut_off_by_the_end_of_the_stream_is_not_emitted()
    {
        var messages = await ReadAll("data: [1]\n\ndata: [2]");
        Assert.Equal("[1]", Assert.Single(messages).Data);
    }

    [Fact]
    public async Task Crlf_line_endings_and_unknown_fields_are_tolerated()
    {
        var messages = await ReadAll("event: x\r\nid: 7\r\ndata:[3]\r\n\r\n");
        Assert.Equal("[3]", Assert.Single(messages).Data);
    }

    [Fact]
    public async Task Lines_split_across_reads_one_byte_at_a_time_are_reassembled()
    {
        var text = ": hi\r\n\r\ndata: [1,\r\ndata: 2]\r\n\r\ndata: [3]\r\rdata: [4]\n\n";
        var messages = new List<SseMessage>();
        await using var stream = new TrickleStream(Encoding.UTF8.GetBytes(text));
        await foreach (var message in ServerSentEvents.ReadAsync(stream, CancellationToken.None))
        {
            messages.Add(message);
        }

        Assert.Equal(["hi", null, null, null], messages.Select(m => m.Comment));
        Assert.Equal([null, "[1,\n2]", "[3]", "[4]"], messages.Select(m => m.Data));
    }

    [Fact]
    public async Task A_line_of_several_megabytes_is_read_whole()
    {
        var payload = "[" + string.Join(',', Enumerable.Range(0, 400_000).Select(i => "\"caf\u00e9 " + i + "\"")) + "]";
        Assert.True(Encoding.UTF8.GetByteCount(payload) > 4 * 1024 * 1024);
        var messages = await ReadAll("data: " + payload + "\n\ndata: [2]\n\n");
        Assert.Equal([payload, "[2]"], messages.Select(m => m.Data));
    }

    [Fact]
    public async Task A_message_at_the_cap_passes_and_one_byte_more_fails_loudly()
    {
        var exact = new string('x', 100);
        var read = new List<SseMessage>();
        await using (var stream = new MemoryStream(Encoding.UTF8.GetBytes("data: " + exact[..50] + "\ndata: " + exact[..49] + "\n\n")))
        {
            // The cap counts the data gathered so far plus the line being read: 50 + 55 ("data: " and 49) = 105, under 106.
            await foreach (var m in ServerSentEvents.ReadAsync(stream, 106, CancellationToken.None))
            {
                read.Add(m);
            }
        }

        Assert.Single(read);
        await using var over = new MemoryStream(Encoding.UTF8.GetBytes("data: " + exact + "x\n\n"));
        var e = await Assert.ThrowsAsync<SseMessageTooLargeException>(async () =>
        {
            await foreach (var _ in ServerSentEvents.ReadAsync(over, 106, CancellationToken.None))
            {
            }
        });
        Assert.Equal(106, e.LimitBytes);
        Assert.Contains("safety cap", e.Message, StringComparison.Ordinal);
    }

    /// <summary>A stream that hands out one byte per read, to cut lines and CRLF pairs at every position.</summary>
    private sealed class TrickleStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(1, buffer.Length)], cancellationToken);
    }
}
