using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Qindex.Cli.Tests;

/// <summary>Issue 7 item 9: no stack trace ever reaches a user; exit 1 for failures.</summary>
public sealed partial class ErrorReportTests : IClassFixture<SimulatorFixture>, IDisposable
{
    private readonly SimulatorFixture _sim;
    private readonly string _dir = CliRunner.TempDir();

    public ErrorReportTests(SimulatorFixture sim) => _sim = sim;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [GeneratedRegex(@"^\s+at \S+", RegexOptions.Multiline)]
    private static partial Regex StackFrame();

    /// <summary>A failure a user can act on: exit 1, one "error:" paragraph, no trace, no "bug".</summary>
    private static void AssertClearFailure(CliResult result, string expected)
    {
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.DoesNotMatch(StackFrame(), result.Output);
        Assert.DoesNotContain("Unhandled exception", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("this is a bug", result.Output, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(expected, result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Non_pem_ca_cert_is_a_clear_error_for_crawl_and_sim_fault()
    {
        var pem = Path.Combine(_dir, "not.pem");
        await File.WriteAllTextAsync(pem, "this is not a certificate\n");
        var port = _sim.Server.BaseAddress.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var crawl = await CliRunner.RunAsync(["crawl", "--host", "127.0.0.1", "--port", port, "--ca-cert", pem, "--user", "admin", "--password", "admin", "--index", Path.Combine(_dir, "idx")]);
        var fault = await CliRunner.RunAsync(["sim", "fault", "clear", "--host", "127.0.0.1", "--port", port, "--ca-cert", pem]);

        AssertClearFailure(crawl, "--ca-cert");
        AssertClearFailure(fault, "--ca-cert");
        Assert.False(Directory.Exists(Path.Combine(_dir, "idx")));
    }

    [Fact]
    public async Task Malformed_base64_in_a_pem_ca_cert_is_a_clear_error()
    {
        var pem = Path.Combine(_dir, "broken.pem");
        await File.WriteAllTextAsync(pem, "-----BEGIN CERTIFICATE-----\n!!!not base64!!!\n-----END CERTIFICATE-----\n");

        var fault = await CliRunner.RunAsync(["sim", "fault", "clear", "--host", "127.0.0.1", "--ca-cert", pem]);

        AssertClearFailure(fault, "--ca-cert");
    }

    [Fact]
    public async Task Malformed_qfsd_cred_is_a_clear_error_naming_the_file()
    {
        var home = Path.Combine(_dir, "home");
        Directory.CreateDirectory(home);
        await File.WriteAllTextAsync(Path.Combine(home, ".qfsd_cred"), "{\"bearer_token\": ");

        var result = await CliRunner.RunAsync(
            ["crawl", "--host", "127.0.0.1", "--port", _sim.Server.BaseAddress.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--ca-cert", _sim.CertFile, "--index", Path.Combine(_dir, "idx")],
            new Dictionary<string, string?> { ["HOME"] = home });

        AssertClearFailure(result, ".qfsd_cred");
    }

    [Fact]
    public async Task Empty_postgresql_catalog_uri_is_a_clear_error()
    {
        var result = await CliRunner.RunAsync(["status", "--index", Path.Combine(_dir, "idx"), "--catalog-uri", "postgresql://"]);

        AssertClearFailure(result, "catalog");
    }

    [Theory]
    [InlineData("query", "missing")]
    [InlineData("query", "truncated")]
    [InlineData("export", "missing")]
    [InlineData("export", "truncated")]
    public async Task Query_and_export_over_a_damaged_data_file_are_clear_errors(string verb, string damage)
    {
        var index = Path.Combine(_dir, "idx");
        await CliRunner.ImportRowsAsync(index, 20);
        var data = Directory.EnumerateFiles(index, "*.parquet", SearchOption.AllDirectories).Single();
        if (damage == "missing")
        {
            File.Delete(data);
        }
        else
        {
            var bytes = await File.ReadAllBytesAsync(data);
            await File.WriteAllBytesAsync(data, bytes[..(bytes.Length / 2)]);
        }

        string[] args = verb == "query"
            ? ["query", "--index", index, "SELECT count(*) FROM files"]
            : ["export", "--index", index, "--parquet", Path.Combine(_dir, "out")];
        var result = await CliRunner.RunAsync(args);

        AssertClearFailure(result, "data file");
    }

    [Fact]
    public async Task Sim_serve_on_a_port_in_use_is_a_clear_error()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var result = await CliRunner.RunAsync(["sim", "serve", "--port", port, "--objects", "10"]);

        AssertClearFailure(result, port);
    }

    [Fact]
    public async Task Sim_serve_with_an_unwritable_cert_out_is_a_clear_error()
    {
        var file = Path.Combine(_dir, "a-file");
        await File.WriteAllTextAsync(file, "x");

        var result = await CliRunner.RunAsync(["sim", "serve", "--port", "0", "--objects", "10", "--cert-out", Path.Combine(file, "sim.pem")]);

        AssertClearFailure(result, "--cert-out");
    }

    [Fact]
    public async Task Objects_beyond_the_documented_maximum_is_a_usage_error()
    {
        var result = await CliRunner.RunAsync(["sim", "serve", "--port", "0", "--objects", "99999999999"]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("--objects", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotMatch(StackFrame(), result.Output);
    }

    [Fact]
    public void Unexpected_exception_prints_one_line_saying_it_is_a_bug_and_where_the_trace_is()
    {
        Exception thrown;
        try
        {
            throw new InvalidOperationException("the model broke\nsecond line");
        }
        catch (InvalidOperationException e)
        {
            thrown = e;
        }

        using var error = new StringWriter();
        var code = ErrorReport.Write(thrown, error, _dir);

        var text = error.ToString().TrimEnd();
        Assert.Equal(1, code);
        Assert.Single(text.Split('\n'));
        Assert.Contains("This is a bug", text, StringComparison.Ordinal);
        Assert.DoesNotMatch(StackFrame(), text);
        var trace = Assert.Single(Directory.GetFiles(_dir, "qindex-error-*.txt"));
        Assert.Contains(trace, text, StringComparison.Ordinal);
        Assert.Contains(nameof(Unexpected_exception_prints_one_line_saying_it_is_a_bug_and_where_the_trace_is), File.ReadAllText(trace), StringComparison.Ordinal);
    }

    [Fact]
    public void Exit_codes_are_zero_one_and_two()
    {
        Assert.Equal(0, ErrorReport.Success);
        Assert.Equal(1, ErrorReport.Write(new IOException("disk full"), TextWriter.Null, _dir));
        Assert.Equal(2, ErrorReport.Write(new UsageException("--x is wrong"), TextWriter.Null, _dir));
        Assert.Empty(Directory.GetFiles(_dir, "qindex-error-*.txt"));
    }
}
