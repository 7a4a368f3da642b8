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
}
