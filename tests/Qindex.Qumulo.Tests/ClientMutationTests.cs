using System.Net;
using Qindex.Simulator;

namespace Qindex.Qumulo.Tests;

/// <summary>Every mutation method of the client against the simulator, with names that need careful encoding.</summary>
#pragma warning disable CA1001 // disposed in DisposeAsync, which xunit calls
public sealed class ClientMutationTests : IAsyncLifetime
#pragma warning restore CA1001
{
    private const string Awkward = "it's \"50%\" #1 ?x&y\nnext café 報告";
    private SimulatorServer _server = null!;
    private QumuloClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await SimulatorServer.StartAsync(new SimulatorOptions { Objects = 1 });
        _client = new QumuloClient(SimulatorHelpers.Connection(_server));
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Creates_renames_and_deletes_work_with_awkward_names()
    {
        var ct = CancellationToken.None;
        var dir = await _client.CreateDirectoryAsync("/", Awkward, ct);
        Assert.Equal("/" + Awkward + "/", dir.GetProperty("path").GetString());
        var file = await _client.CreateFileAsync("/" + Awkward + "/", Awkward + ".txt", ct);
        Assert.Equal("FS_FILE_TYPE_FILE", file.GetProperty("type").GetString());
        var link = await _client.CreateLinkAsync("/", "hard link", "/" + Awkward + "/" + Awkward + ".txt", ct);
        Assert.Equal(file.GetProperty("id").GetString(), link.GetProperty("id").GetString());
        Assert.Equal(2, link.GetProperty("num_links").GetInt32());
        var symlink = await _client.CreateSymlinkAsync("/", "sym", "../" + Awkward, ct);
        Assert.Equal("FS_FILE_TYPE_SYMLINK", symlink.GetProperty("type").GetString());

        var renamed = await _client.RenameAsync("/", "moved 100%", "/" + Awkward + "/" + Awkward + ".txt", clobber: false, ct);
        Assert.Equal("/moved 100%", renamed.GetProperty("path").GetString());
        var refused = await Assert.ThrowsAsync<QumuloApiException>(() => _client.RenameAsync("/", "moved 100%", "/hard link", clobber: false, ct));
        Assert.Equal(HttpStatusCode.Conflict, refused.Status);
        Assert.Equal("fs_entry_exists_error", refused.ErrorClass);
        await _client.CreateFileAsync("/", "other", ct);
        var clobbered = await _client.RenameAsync("/", "other", "/sym", clobber: true, ct);
        Assert.Equal("FS_FILE_TYPE_SYMLINK", clobbered.GetProperty("type").GetString());

        await _client.DeleteAsync("/hard link", ct);
        Assert.Equal(1, (await _client.GetAttributesAsync("/moved 100%", null, ct)).GetProperty("num_links").GetInt32());
        await _client.DeleteAsync("/" + Awkward + "/", ct);
        var gone = await Assert.ThrowsAsync<QumuloApiException>(() => _client.GetAttributesAsync("/" + Awkward + "/", null, ct));
        Assert.Equal(HttpStatusCode.NotFound, gone.Status);
    }

    [Fact]
    public async Task Data_writes_and_attribute_changes_are_answered_with_the_new_attributes()
    {
        var ct = CancellationToken.None;
        await _client.CreateFileAsync("/", Awkward, ct);
        var path = "/" + Awkward;
        Assert.Equal("10", (await _client.ReplaceDataAsync(path, new byte[10], ct)).GetProperty("size").GetString());
        Assert.Equal("25", (await _client.WriteDataAsync(path, 20, new byte[5], ct)).GetProperty("size").GetString());

        var changed = await _client.PatchAttributesAsync(
            path,
            new AttributeChanges
            {
                Mode = "0600",
                OwnerDetails = new FileIdentity("NFS_UID", "1001"),
                Group = "4242",
                Size = 3,
                AccessTime = "2020-05-06T07:08:09.123456789Z",
                CreationTime = "2019-01-01T00:00:00.000000001Z",
                ExtendedAttributes = new Dictionary<string, bool> { ["hidden"] = true },
            },
            ct);
        Assert.Equal("0600", changed.GetProperty("mode").GetString());
        Assert.Equal("1001", changed.GetProperty("owner_details").GetProperty("id_value").GetString());
        Assert.Equal("4242", changed.GetProperty("group").GetString());
        Assert.Equal("3", changed.GetProperty("size").GetString());
        Assert.Equal("2020-05-06T07:08:09.123456789Z", changed.GetProperty("access_time").GetString());
        Assert.Equal("2019-01-01T00:00:00.000000001Z", changed.GetProperty("creation_time").GetString());
        Assert.True(changed.GetProperty("extended_attributes").GetProperty("hidden").GetBoolean());

        var bad = await Assert.ThrowsAsync<QumuloApiException>(() => _client.PatchAttributesAsync(path, new AttributeChanges { Mode = "rwx" }, ct));
        Assert.Equal(HttpStatusCode.BadRequest, bad.Status);
    }

    [Fact]
    public async Task Named_streams_are_created_written_listed_and_deleted()
    {
        var ct = CancellationToken.None;
        var file = await _client.CreateFileAsync("/", "with streams", ct);
        var id = file.GetProperty("id").GetString()!;
        var stream = await _client.CreateStreamAsync("/with streams", Awkward, ct);
        Assert.Equal(Awkward, stream.Name);
        Assert.Equal(0, stream.Size);
        Assert.Equal(8, (await _client.ReplaceStreamDataAsync(id, stream.Id, new byte[8], ct)).Size);
        Assert.Equal(12, (await _client.WriteStreamAsync("/with streams", stream.Id, 10, new byte[2], ct)).Size);
        Assert.Equal(12, (await _client.WriteStreamAsync(id, Awkward, 0, new byte[1], ct)).Size);
        var listed = Assert.Single(await _client.ListStreamsAsync(id, ct));
        Assert.Equal(new StreamInfo(stream.Id, Awkward, 12), listed);
        await _client.DeleteStreamAsync(id, stream.Id, ct);
        Assert.Empty(await _client.ListStreamsAsync(id, ct));
    }
}
