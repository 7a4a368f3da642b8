namespace Qindex.Qumulo.Tests;

public class NotificationTests
{
    [Theory]
    [InlineData("dir/a.txt")]
    [InlineData("/dir/a.txt")]
    public void File_paths_are_joined_onto_the_watched_path_with_or_without_a_leading_slash(string relative)
    {
        var payload = $$"""[{"type":"child_file_added","path":"{{relative}}","spine":["2","10","11"],"stream_name":null}]""";
        var n = Assert.Single(Notification.ParsePayload(payload, "/watched/"));
        Assert.Equal("/watched/dir/a.txt", n.Path);
        Assert.Equal(["2", "10", "11"], n.Spine);
        Assert.Null(n.StreamName);
        Assert.True(n.IsKnownType);
    }

    [Theory]
    [InlineData("sub")]
    [InlineData("sub/")]
    [InlineData("/sub/")]
    public void Directory_events_get_a_trailing_slash_whatever_the_cluster_sent(string relative)
    {
        var payload = $$"""[{"type":"child_dir_added","path":"{{relative}}","spine":[],"stream_name":null}]""";
        Assert.Equal("/w/sub/", Assert.Single(Notification.ParsePayload(payload, "/w")).Path);
    }

    [Fact]
    public void Several_notifications_in_one_payload_keep_their_order_and_stream_names()
    {
        var payload = """
            [{"type":"child_file_moved_from","path":"a","spine":["2","5"],"stream_name":null},
             {"type":"child_file_moved_to","path":"b","spine":["2","5"],"stream_name":null},
             {"type":"child_stream_added","path":"b","spine":["2","5"],"stream_name":"zone.identifier"}]
            """;
        var list = Notification.ParsePayload(payload, "/");
        Assert.Equal(["/a", "/b", "/b"], list.Select(n => n.Path));
        Assert.Equal("zone.identifier", list[2].StreamName);
    }

    [Fact]
    public void Unknown_types_are_kept_and_flagged_not_dropped()
    {
        var n = Assert.Single(Notification.ParsePayload("""[{"type":"child_quantum_changed","path":"x","spine":[]}]""", "/"));
        Assert.Equal("child_quantum_changed", n.Type);
        Assert.False(n.IsKnownType);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"type":"child_file_added"}""")]
    [InlineData("""[{"path":"x"}]""")]
    [InlineData("""[{"type":"child_file_added","path":7}]""")]
    public void A_malformed_payload_fails_with_the_payload_in_the_error(string payload)
    {
        var e = Assert.Throws<NotifyPayloadException>(() => Notification.ParsePayload(payload, "/"));
        Assert.Equal(payload, e.Payload);
        Assert.Contains("Malformed notify payload", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Odd_names_survive_the_join_unchanged()
    {
        const string odd = "quote'\"pct%41 new\nline caf\u00e9 \u6587";
        var payload = System.Text.Json.JsonSerializer.Serialize(new[] { new { type = "child_file_added", path = "d/" + odd, spine = Array.Empty<string>() } });
        Assert.Equal("/r/d/" + odd, Assert.Single(Notification.ParsePayload(payload, "/r/")).Path);
    }
}
