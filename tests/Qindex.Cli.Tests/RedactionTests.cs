namespace Qindex.Cli.Tests;

/// <summary>Issue 7 item 7: secrets are masked in everything the command line prints.</summary>
public sealed class RedactionTests
{
    [Theory]
    [InlineData("cannot reach https://user:s3cret@catalog.example/ (refused)", "s3cret", "https://user:***@catalog.example/")]
    [InlineData("postgresql://qindex:p%40ss@db:5432/idx failed", "p%40ss", "postgresql://qindex:***@db:5432/idx")]
    [InlineData("http://:onlypw@host/x", "onlypw", "http://:***@host/x")]
    public void Uri_password_is_masked(string text, string secret, string expected)
    {
        var redacted = Redaction.Apply(text);

        Assert.DoesNotContain(secret, redacted, StringComparison.Ordinal);
        Assert.Contains(expected, redacted, StringComparison.Ordinal);
    }

    [Fact]
    public void Uri_without_password_and_plain_text_are_unchanged()
    {
        const string text = "GET https://user@host:8000/v1/files/%2F: HTTP 404 at 10:30 (see /tmp/a:b@c)";

        Assert.Equal(text, Redaction.Apply(text));
    }

    [Fact]
    public void Secrets_given_on_the_command_line_are_masked()
    {
        var secrets = Redaction.KnownSecrets(["crawl", "--password", "hunter22", "--user", "admin", "--password=other-secret"]);

        var redacted = Redaction.Apply("login as admin with hunter22 and other-secret failed", secrets);

        Assert.Equal("login as admin with *** and *** failed", redacted);
    }
}
