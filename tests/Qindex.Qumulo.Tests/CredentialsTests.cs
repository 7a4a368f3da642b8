namespace Qindex.Qumulo.Tests;

public sealed class CredentialsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("qindex-cred-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task A_written_credential_file_is_owner_only_and_reads_back()
    {
        var path = Path.Combine(_dir, ".qfsd_cred");
        await File.WriteAllTextAsync(path, "old");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        await QfsdCredentials.WriteTokenAsync(path, "session-v1:abc", CancellationToken.None);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal("session-v1:abc", await QfsdCredentials.ReadTokenAsync(path, CancellationToken.None));
    }

    [Fact]
    public async Task A_missing_file_gives_no_token_and_a_broken_one_a_clear_error()
    {
        Assert.Null(await QfsdCredentials.ReadTokenAsync(Path.Combine(_dir, "none"), CancellationToken.None));
        var broken = Path.Combine(_dir, "broken");
        await File.WriteAllTextAsync(broken, """{"token":"x"}""");
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => QfsdCredentials.ReadTokenAsync(broken, CancellationToken.None));
        Assert.Contains("bearer_token", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Connection_text_never_shows_the_password_or_token()
    {
        var connection = new QumuloConnection { Host = "h", User = "admin", Password = "s3cret-pw", BearerToken = "tok-123" };
        Assert.DoesNotContain("s3cret-pw", connection.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("tok-123", connection.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("AB:CD")]
    [InlineData("zz")]
    public void A_malformed_pin_is_refused(string pin)
    {
        Assert.Throws<FormatException>(() => TlsPolicy.NormalizeFingerprint(pin));
    }

    [Fact]
    public void A_pin_with_colons_and_capitals_is_normalized()
    {
        var hex = new string('A', 64);
        var withColons = string.Join(':', Enumerable.Range(0, 32).Select(i => hex.Substring(i * 2, 2)));
        Assert.Equal(new string('a', 64), TlsPolicy.NormalizeFingerprint(withColons));
    }
}
