using System.Diagnostics;
using System.Text;
using Qindex.Index.Crawl;
using Qindex.Index.Query;
using Qindex.Index.Store;
using Qindex.Qumulo;
using Qindex.Simulator;
using Qindex.Simulator.Churn;

namespace Qindex.Cli.Tests.Commands;

/// <summary>
/// <c>qindex watch</c> as a child process against the simulator and the Iceberg index: killed
/// with SIGKILL during churn and restarted, it loses nothing and duplicates nothing, and SIGTERM
/// stops it with exit code 0.
/// </summary>
public sealed class WatchCommandTests : IAsyncLifetime
{
    private readonly string _work = Directory.CreateTempSubdirectory("qindex-watchcli-").FullName;
    private SimulatorServer _server = null!;

    public async Task InitializeAsync() => _server = await SimulatorServer.StartAsync(new SimulatorOptions { Objects = 1500, Seed = 21, KeepAliveSeconds = 1 });

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_work, recursive: true);
    }

    private QumuloConnection Connection => new()
    {
        Host = _server.BaseAddress.Host,
        Port = _server.BaseAddress.Port,
        User = "admin",
        Password = "admin",
        PinSha256 = _server.CertificateSha256,
    };

    private sealed class Child(Process process, StringBuilder log) : IDisposable
    {
        public Process Process { get; } = process;

        public string Log
        {
            get
            {
                lock (log)
                {
                    return log.ToString();
                }
            }
        }

        public async Task WaitForLogAsync(string text, int count = 1)
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (CountOf(text) < count)
            {
                if (Process.HasExited && CountOf(text) < count)
                {
                    Assert.Fail($"qindex watch exited ({Process.ExitCode}) before '{text}':\n{Log}");
                }

                Assert.True(DateTime.UtcNow < deadline, $"no '{text}' after 60 s:\n{Log}");
                await Task.Delay(100);
            }
        }

        private int CountOf(string text)
        {
            var all = Log;
            var n = 0;
            for (var i = all.IndexOf(text, StringComparison.Ordinal); i >= 0; i = all.IndexOf(text, i + 1, StringComparison.Ordinal))
            {
                n++;
            }

            return n;
        }

        public void Dispose()
        {
            if (!Process.HasExited)
            {
                Process.Kill();
                Process.WaitForExit();
            }

            Process.Dispose();
        }
    }

    private Child StartWatch(string root, string index)
    {
        var qindex = typeof(ICliCommand).Assembly.Location;
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
                 {
                     qindex, "watch", "--host", _server.BaseAddress.Host, "--port", _server.BaseAddress.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--pin-sha256", _server.CertificateSha256, "--user", "admin", "--path", root, "--index", index, "--batch-window", "200ms",
                 })
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["QINDEX_PASSWORD"] = "admin";
        var log = new StringBuilder();
        var process = new Process { StartInfo = info };
        process.ErrorDataReceived += (_, e) =>
        {
            lock (log)
            {
                log.AppendLine(e.Data);
            }
        };
        process.OutputDataReceived += (_, e) =>
        {
            lock (log)
            {
                log.AppendLine(e.Data);
            }
        };
        process.Start();
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return new Child(process, log);
    }

    private static async Task TerminateAsync(Child child)
    {
        using var kill = Process.Start("kill", ["-TERM", child.Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        await kill.WaitForExitAsync();
        await child.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(child.Process.ExitCode == 0, $"exit code {child.Process.ExitCode}:\n{child.Log}");
    }

    private static async Task<List<string>> RowsAsync(string index)
    {
        await using var store = await IndexStoreFactory.OpenAsync(new IndexLocation(index), CancellationToken.None);
        await using var engine = await QueryEngine.OpenAsync(store, CancellationToken.None);
        var result = await engine.QueryAsync("SELECT * EXCLUDE (ingest_ts) FROM files ORDER BY path", CancellationToken.None);
        return result.Rows.Select(r => string.Join("|", r.Select(QueryEngine.FormatValue))).ToList();
    }

    [Fact]
    public async Task Renamed_files_and_directories_are_logged_as_renames_of_every_row_they_moved()
    {
        var (parent, file, before) = RenameFixture("plain", "to rename", 20);
        var index = Path.Combine(_work, "idx");
        string after = parent + "renamed 'it\u00e9'/";
        using (var watch = StartWatch(parent, index))
        {
            await watch.WaitForLogAsync("caught up");
            _server.Cluster.Rename(parent, "renamed 'it\u00e9'", before);
            _server.Cluster.Rename(parent, "plain 'renamed'", file);
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!(await RowsAsync(index)).Any(r => r.StartsWith(parent + "plain 'renamed'|", StringComparison.Ordinal)))
            {
                Assert.True(DateTime.UtcNow < deadline, $"the rename never reached the index:\n{watch.Log}");
                await Task.Delay(200);
            }

            await TerminateAsync(watch);
        }

        var log = await ChangesAsync(index, after, before, parent + "plain");

        // The watcher reads a renamed file again and refreshes a directory it moved; both are still
        // logged as renamed, and nothing as deleted or inserted.
        Assert.Equal(Renames(file, parent + "plain 'renamed'", before, after, 20), log);
    }

    [Fact]
    public async Task Renames_made_while_the_watcher_was_stopped_are_logged_as_renames_by_its_catch_up()
    {
        var (parent, file, before) = RenameFixture("offline", "offline dir", 5);
        var index = Path.Combine(_work, "idx");
        using (var first = StartWatch(parent, index))
        {
            await first.WaitForLogAsync("caught up");
            await TerminateAsync(first);
        }

        // Made while nothing watches: only the next start's snapshot difference sees them, and it
        // reports each rename as a DELETE and a CREATE.
        _server.Cluster.Rename(parent, "offline 'renamed'", file);
        _server.Cluster.Rename(parent, "offline dir \u00e9", before);
        string after = parent + "offline dir \u00e9/";
        using (var second = StartWatch(parent, index))
        {
            await second.WaitForLogAsync("caught up");
            await TerminateAsync(second);
        }

        Assert.Equal(Renames(file, parent + "offline 'renamed'", before, after, 5), await ChangesAsync(index, parent + "offline"));
    }

    /// <summary>A file and a directory of <paramref name="files"/> files (f0, f1, ...) made in the first top-level directory.</summary>
    private (string Parent, string File, string Directory) RenameFixture(string fileName, string directoryName, int files)
    {
        var parent = _server.Cluster.EnumerateEntries("/").First(e => e.Path.EndsWith('/')).Path;
        var file = _server.Cluster.CreateFile(parent, fileName).Path;
        var directory = _server.Cluster.CreateDirectory(parent, directoryName).Path;
        for (var i = 0; i < files; i++)
        {
            _server.Cluster.CreateFile(directory, $"f{i}");
        }

        return (parent, file, directory);
    }

    /// <summary>The log rows, as <see cref="ChangesAsync"/> gives them, of the file and the directory (and its files) of a <see cref="RenameFixture"/> renamed.</summary>
    private static List<string> Renames(string file, string fileAfter, string directory, string directoryAfter, int files) =>
        new[] { $"rename {file} -> {fileAfter}", $"rename {directory} -> {directoryAfter}" }
            .Concat(Enumerable.Range(0, files).Select(i => $"rename {directory}f{i} -> {directoryAfter}f{i}"))
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>The changes table's rows whose path or previous path starts with one of <paramref name="prefixes"/>, as "kind previous -> path", sorted.</summary>
    private static async Task<List<string>> ChangesAsync(string index, params string[] prefixes)
    {
        await using var store = await IndexStoreFactory.OpenAsync(new IndexLocation(index), CancellationToken.None);
        await using var engine = await QueryEngine.OpenAsync(store, CancellationToken.None);
        var log = new List<string>();
        foreach (var prefix in prefixes)
        {
            await using var reader = await engine.ExecuteReaderAsync("SELECT path, kind, previous_path FROM changes WHERE starts_with(path, ?) OR starts_with(previous_path, ?)", [prefix, prefix], CancellationToken.None);
            while (await reader.ReadAsync())
            {
                log.Add($"{reader.GetString(1)} {(reader.IsDBNull(2) ? "-" : reader.GetString(2))} -> {reader.GetString(0)}");
            }
        }

        return log.Distinct().Order(StringComparer.Ordinal).ToList();
    }

    [Fact]
    public async Task Killed_with_sigkill_during_churn_and_restarted_the_index_equals_the_cluster()
    {
        var root = _server.Cluster.EnumerateEntries("/").Where(e => e.Path.EndsWith('/')).OrderByDescending(e => _server.Cluster.EnumerateEntries(e.Path).Count()).First().Path;
        var index = Path.Combine(_work, "idx");
        using var client = new QumuloClient(Connection);

        using (var first = StartWatch(root, index))
        {
            await first.WaitForLogAsync("caught up");
            var churn = Task.Run(() => new ChurnWorkload(client, new ChurnOptions { Path = root, Ops = 600, Seed = 13, Rate = 200 }).RunAsync(CancellationToken.None));
            await Task.Delay(1200);
            first.Process.Kill(); // SIGKILL: no chance to finish anything
            await first.Process.WaitForExitAsync();

            using (var second = StartWatch(root, index))
            {
                await second.WaitForLogAsync("caught up");
                await Task.Delay(800);
                second.Process.Kill();
                await second.Process.WaitForExitAsync();
            }

            await churn;
        }

        // Restarted after the churn: the catch-up brings in everything, then SIGTERM stops it cleanly.
        using (var third = StartWatch(root, index))
        {
            await third.WaitForLogAsync("caught up");
            await Task.Delay(1000);
            await TerminateAsync(third);
        }

        var fresh = Path.Combine(_work, "fresh");
        await using (var store = await IndexStoreFactory.OpenAsync(new IndexLocation(fresh), CancellationToken.None))
        {
            await new Crawler(client).RunAsync(new CrawlOptions { ClusterHost = "h", RootPath = root, SnapshotMode = CrawlSnapshotMode.None }, store, null, CancellationToken.None);
        }

        var expected = await RowsAsync(fresh);
        var actual = await RowsAsync(index);
        Assert.True(
            expected.SequenceEqual(actual),
            $"the index differs from a fresh crawl under {root}\nonly in the index:\n{string.Join("\n", actual.Except(expected))}\nonly in the crawl:\n{string.Join("\n", expected.Except(actual))}");
    }
}
