using System.CommandLine;
using System.Globalization;
using System.Net.Http.Json;
using Qindex.Qumulo;
using Qindex.Simulator;
using Qindex.Simulator.Churn;
using Qindex.Simulator.Load;
using Spectre.Console;

namespace Qindex.Cli.Commands;

/// <summary><c>qindex sim</c>: serve a simulated cluster, inject faults into a running one, and churn a cluster's tree.</summary>
internal sealed class SimCommand : ICliCommand
{
    public Command Build()
    {
        var sim = new Command("sim", "The built-in Qumulo REST API simulator.");
        sim.Subcommands.Add(BuildServe());
        sim.Subcommands.Add(BuildFault());
        sim.Subcommands.Add(BuildChurn());
        sim.Subcommands.Add(BuildLoad());
        return sim;
    }

    private static Command BuildServe()
    {
        var host = new Option<string>("--host") { Description = "Address to listen on.", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "Port to listen on (HTTPS).", DefaultValueFactory = _ => 8000 }.IsPort(allowAny: true);
        var objects = new Option<long>("--objects") { Description = "Objects in the generated tree (10 to 10,000,000).", DefaultValueFactory = _ => 100_000 }.InRange(10L, 10_000_000L);
        var wide = new Option<int>("--wide") { Description = "Also serve a directory /wide/ holding this many files (for example 1000000).", DefaultValueFactory = _ => 0 }.AtLeast(0);
        var seed = new Option<int>("--seed") { Description = "Seed of the generated tree.", DefaultValueFactory = _ => 1 };
        var certOut = new Option<string?>("--cert-out") { Description = "Write the self-signed certificate (PEM) here, for clients' --ca-cert." };
        var user = new Option<string>("--user") { Description = "Administrator user.", DefaultValueFactory = _ => "admin" };
        var password = new Option<string>("--password") { Description = "Administrator password.", DefaultValueFactory = _ => "admin" };
        var maxEvents = new Option<int>("--max-events-per-message")
        {
            Description = $"Most notifications in one notify (SSE) message; pending ones are drained up to this many (assumed default: {SimulatorOptions.DefaultMaxEventsPerMessage}).",
            DefaultValueFactory = _ => SimulatorOptions.DefaultMaxEventsPerMessage,
        }.AtLeast(1);
        var watchCapacity = new Option<int>("--watch-capacity")
        {
            Description = "Notifications a notify stream may hold unsent before the simulator drops it, as a cluster drops a stream that cannot keep up.",
            DefaultValueFactory = _ => Qindex.Simulator.Model.ClusterModel.DefaultWatchCapacity,
        }.AtLeast(1);
        var load = new Option<double>("--load") { Description = "Start an in-simulator load of this many changes a second (the churn mix, applied to the model with its notifications); 0 for none.", DefaultValueFactory = _ => 0 }.AtLeast(0.0);
        var loadChanges = new Option<long>("--load-changes") { Description = "Stop the load after this many changes (0: run until Ctrl-C).", DefaultValueFactory = _ => 0 }.AtLeast(0L);
        var loadSeed = new Option<int>("--load-seed") { Description = "Seed of the load: the same seed on the same tree gives the same changes.", DefaultValueFactory = _ => 1 };
        var loadPath = new Option<string>("--load-path") { Description = "Directory the load changes, not the root (made if missing; a scratch directory beside it takes moves out and in).", DefaultValueFactory = _ => LoadOptions.DefaultPath }.IsClusterPath();
        loadPath.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is { } value && value.Trim('/').Length == 0)
            {
                result.AddError("--load-path must be a directory other than the root: the load makes a scratch directory beside it.");
            }
        });
        var loadShape = new Option<string>("--load-shape") { Description = "churn (the mix of sim churn) or unpack (one archive's tree of creates and writes).", DefaultValueFactory = _ => "churn" };
        loadShape.AcceptOnlyFromAmong("churn", "unpack");
        var command = new Command(
            "serve",
            "Serve a simulated cluster over HTTPS until Ctrl-C. A second user reader/reader lacks the right to recursive watches.\n\nExample:\n  qindex sim serve --port 8000 --objects 1000000 --seed 7 --cert-out sim.pem");
        foreach (var option in new Option[] { host, port, objects, wide, seed, certOut, user, password, maxEvents, watchCapacity, load, loadChanges, loadSeed, loadPath, loadShape })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var server = await SimulatorServer.StartAsync(
                new SimulatorOptions
                {
                    Host = parse.GetValue(host)!,
                    Port = parse.GetValue(port),
                    Objects = parse.GetValue(objects),
                    WideDirectoryEntries = parse.GetValue(wide),
                    Seed = parse.GetValue(seed),
                    User = parse.GetValue(user)!,
                    Password = parse.GetValue(password)!,
                    MaxEventsPerMessage = parse.GetValue(maxEvents),
                    WatchCapacity = parse.GetValue(watchCapacity),
                    Load = parse.GetValue(load) > 0 || parse.GetValue(loadChanges) > 0
                        ? new LoadOptions
                        {
                            Rate = parse.GetValue(load),
                            Changes = parse.GetValue(loadChanges),
                            Seed = parse.GetValue(loadSeed),
                            Path = parse.GetValue(loadPath)!,
                            Shape = parse.GetValue(loadShape) == "unpack" ? LoadShape.Unpack : LoadShape.Churn,
                        }
                        : null,
                },
                cancellationToken);
            if (parse.GetValue(certOut) is { } pem)
            {
                try
                {
                    await File.WriteAllTextAsync(pem, server.CertificatePem, cancellationToken);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new CommandException($"--cert-out {pem}: cannot write the certificate ({e.Message})", e);
                }
            }

            Console.WriteLine($"serving {parse.GetValue(objects):N0} objects (seed {parse.GetValue(seed)}) at {server.BaseAddress}");
            if (parse.GetValue(wide) is > 0 and var wideEntries)
            {
                Console.WriteLine($"plus /wide/ holding {wideEntries:N0} files");
            }

            Console.WriteLine($"certificate SHA-256: {server.CertificateSha256}");
            if (parse.GetValue(certOut) is { } written)
            {
                Console.WriteLine($"certificate PEM written to {written}");
            }

            if (server.Load.Status.Options is { } running)
            {
                Console.WriteLine($"load: {running.Shape.ToString().ToLowerInvariant()} under {running.Path} at {(running.Rate > 0 ? $"{running.Rate:N0} changes/s" : "full speed")}, seed {running.Seed}{(running.Changes > 0 ? $", {running.Changes:N0} changes" : string.Empty)}");
            }

            Console.WriteLine($"log in as {parse.GetValue(user)} (password as given), reader/reader (no writes) or watcher/watcher (no snapshots); fault API under {server.BaseAddress}__sim/faults/, load API under {server.BaseAddress}__sim/load/; Ctrl-C stops");
            await server.WaitForShutdownAsync(cancellationToken);
            return 0;
        });
        return command;
    }

    private static Command BuildLoad()
    {
        var cluster = new ClusterOptions();
        var action = new Argument<string>("action") { Description = "start, stop, status or wait." };
        action.AcceptOnlyFromAmong("start", "stop", "status", "wait");
        var shape = new Option<string>("--shape") { Description = "start: churn or unpack.", DefaultValueFactory = _ => "churn" };
        shape.AcceptOnlyFromAmong("churn", "unpack");
        var rate = new Option<double>("--rate") { Description = "start: changes a second at most (0: as fast as the model goes).", DefaultValueFactory = _ => 0 }.AtLeast(0.0);
        var changes = new Option<long>("--changes") { Description = "start: stop after this many changes (0: until stopped).", DefaultValueFactory = _ => 0 }.AtLeast(0L);
        var seed = new Option<int>("--seed") { Description = "start: seed of the load.", DefaultValueFactory = _ => 1 };
        var path = new Option<string>("--path") { Description = "start: directory the load changes, not the root.", DefaultValueFactory = _ => LoadOptions.DefaultPath }.IsClusterPath();
        path.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is { } value && value.Trim('/').Length == 0)
            {
                result.AddError("--path must be a directory other than the root: the load makes a scratch directory beside it.");
            }
        });
        var seconds = new Option<double>("--seconds") { Description = "wait: how long to wait at most.", DefaultValueFactory = _ => 600 }.InRange(0.0, 3600.0);
        var command = new Command(
            "load",
            "Start, stop or follow a seeded load applied inside a running simulator (the churn mix, or an archive unpacking), with the notifications its REST requests would give.\n\nExample:\n  qindex sim load start --rate 20000 --changes 1000000 --seed 3 --path /data --host 127.0.0.1 --port 8000 --ca-cert sim.pem\n  qindex sim load wait --host 127.0.0.1 --port 8000 --ca-cert sim.pem");
        command.Arguments.Add(action);
        cluster.AddTo(command);
        foreach (var option in new Option[] { shape, rate, changes, seed, path, seconds })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            var body = new Dictionary<string, object>
            {
                ["shape"] = parse.GetValue(shape)!,
                ["rate"] = parse.GetValue(rate),
                ["changes"] = parse.GetValue(changes),
                ["seed"] = parse.GetValue(seed),
                ["path"] = parse.GetValue(path)!,
                ["seconds"] = parse.GetValue(seconds),
            };
            using var http = AdminClient(parse, cluster, out var handler);
            using (handler)
            {
                http.Timeout = Timeout.InfiniteTimeSpan;
                try
                {
                    using var response = await http.PostAsJsonAsync($"__sim/load/{parse.GetValue(action)}", body, cancellationToken);
                    var text = await response.Content.ReadAsStringAsync(cancellationToken);
                    Console.WriteLine(response.IsSuccessStatusCode ? text : $"refused: HTTP {(int)response.StatusCode} {text}");
                    return response.IsSuccessStatusCode ? 0 : 1;
                }
                catch (HttpRequestException e)
                {
                    await Console.Error.WriteLineAsync($"cannot reach the simulator: {e.Message}");
                    return 1;
                }
            }
        });
        return command;
    }

    /// <summary>A plain client for the simulator's admin API: it needs no login, only the TLS settings of the connection.</summary>
    private static HttpClient AdminClient(ParseResult parse, ClusterOptions cluster, out SocketsHttpHandler handler)
    {
        var connection = new QumuloConnection
        {
            Host = parse.GetValue(cluster.Host)!,
            Port = parse.GetValue(cluster.Port),
            CaCertificateFile = parse.GetValue(cluster.CaCert),
            PinSha256 = parse.GetValue(cluster.PinSha256),
            Insecure = parse.GetValue(cluster.Insecure),
        };
        handler = new SocketsHttpHandler();
        TlsPolicy.Configure(handler, connection);
        return new HttpClient(handler, disposeHandler: false) { BaseAddress = connection.BaseAddress };
    }

    private static Command BuildFault()
    {
        var cluster = new ClusterOptions();
        var kind = new Argument<string>("kind") { Description = "drop-streams, expire-tokens, errors, rate-limit, latency, stall-streams or clear." };
        var status = new Option<int>("--status") { Description = "errors: 429 or 503.", DefaultValueFactory = _ => 503 };
        var fraction = new Option<double>("--fraction") { Description = "errors: share of requests answered with --status.", DefaultValueFactory = _ => 0.5 }.InRange(0.0, 1.0);
        var seconds = new Option<double>("--seconds") { Description = "errors, rate-limit, latency, stall-streams: how long.", DefaultValueFactory = _ => 10 }.AtLeast(0.0);
        var ms = new Option<int>("--ms") { Description = "latency: milliseconds added to each request.", DefaultValueFactory = _ => 100 }.AtLeast(0);
        var rps = new Option<double>("--rps") { Description = "rate-limit: requests per second let through (a token bucket; the rest get 429 with Retry-After).", DefaultValueFactory = _ => 100 }.AtLeast(0.1);
        var command = new Command(
            "fault",
            "Inject a fault into a running simulator.\n\nExamples:\n  qindex sim fault errors --status 429 --fraction 0.3 --seconds 20 --host 127.0.0.1 --port 8000 --ca-cert sim.pem\n  qindex sim fault rate-limit --rps 200 --seconds 60 --host 127.0.0.1 --port 8000 --ca-cert sim.pem");
        command.Arguments.Add(kind);
        cluster.AddTo(command);
        foreach (var option in new Option[] { status, fraction, seconds, ms, rps })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            // The fault API needs no login; only the TLS settings of the connection matter.
            var connection = cluster.TlsOnlyConnection(parse);
            using var handler = new SocketsHttpHandler();
            TlsPolicy.Configure(handler, connection);

            using var http = new HttpClient(handler) { BaseAddress = connection.BaseAddress };
            var body = new Dictionary<string, object>
            {
                ["status"] = parse.GetValue(status),
                ["fraction"] = parse.GetValue(fraction),
                ["seconds"] = parse.GetValue(seconds),
                ["ms"] = parse.GetValue(ms),
                ["rps"] = parse.GetValue(rps),
            };
            try
            {
                using var response = await http.PostAsJsonAsync($"__sim/faults/{Uri.EscapeDataString(parse.GetValue(kind)!)}", body, cancellationToken);
                var text = await response.Content.ReadAsStringAsync(cancellationToken);
                Console.WriteLine(response.IsSuccessStatusCode ? $"fault {parse.GetValue(kind)} applied" : $"refused: HTTP {(int)response.StatusCode} {text}");
                return response.IsSuccessStatusCode ? 0 : 1;
            }
            catch (HttpRequestException e)
            {
                await Console.Error.WriteLineAsync($"cannot reach the simulator: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    private static Command BuildChurn()
    {
        var cluster = new ClusterOptions();
        var path = new Option<string>("--path") { Description = "Directory to churn (absolute, not the root); a scratch directory is made beside it.", Required = true }.IsClusterPath();
        var ops = new Option<int>("--ops") { Description = "Steps to run.", DefaultValueFactory = _ => 1000 }.AtLeast(0);
        var rate = new Option<double>("--rate") { Description = "Steps per second at most (0: unlimited).", DefaultValueFactory = _ => 0 }.AtLeast(0.0);
        var seed = new Option<int>("--seed") { Description = "Seed: the same seed on the same starting tree gives the same steps.", DefaultValueFactory = _ => 1 };
        var command = new Command(
            "churn",
            "Change a cluster's tree through the REST API with a random but repeatable workload: creates, writes, attribute changes, renames and moves, deletes of files and whole trees, moves in and out, named streams.\n\nExample:\n  qindex sim churn --host 127.0.0.1 --port 8000 --ca-cert sim.pem --user admin --password admin --path /data --ops 5000 --rate 200 --seed 7");
        cluster.AddTo(command);
        foreach (var option in new Option[] { path, ops, rate, seed })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = new ChurnOptions
            {
                Path = parse.GetValue(path)!,
                Ops = parse.GetValue(ops),
                Rate = parse.GetValue(rate),
                Seed = parse.GetValue(seed),
            };
            try
            {
                using var client = new QumuloClient(await cluster.ConnectionAsync(parse, cancellationToken));
                var result = await new ChurnWorkload(client, options).RunAsync(cancellationToken);
                var table = new Table().AddColumn("step").AddColumn(new TableColumn("count").RightAligned());
                foreach (var kind in ChurnWorkload.Kinds)
                {
                    table.AddRow(kind, result.Counts[kind].ToString("N0", CultureInfo.InvariantCulture));
                }

                table.AddRow("total", result.Total.ToString("N0", CultureInfo.InvariantCulture));
                AnsiConsole.Write(table);
                Console.WriteLine($"{result.Requests:N0} requests in {result.Elapsed.TotalSeconds:F1} s ({result.Total / Math.Max(result.Elapsed.TotalSeconds, 0.001):F0} steps/s)");
                return 0;
            }
            catch (Exception e) when (e is QumuloApiException or InvalidOperationException or ArgumentException or HttpRequestException)
            {
                await Console.Error.WriteLineAsync($"churn stopped: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}
