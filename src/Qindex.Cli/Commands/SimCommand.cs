using System.CommandLine;
using System.Globalization;
using System.Net.Http.Json;
using Qindex.Qumulo;
using Qindex.Simulator;
using Qindex.Simulator.Churn;
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
        return sim;
    }

    private static Command BuildServe()
    {
        var host = new Option<string>("--host") { Description = "Address to listen on.", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "Port to listen on (HTTPS).", DefaultValueFactory = _ => 8000 };
        var objects = new Option<long>("--objects") { Description = "Objects in the generated tree (10 to 10,000,000).", DefaultValueFactory = _ => 100_000 };
        var wide = new Option<int>("--wide") { Description = "Also serve a directory /wide/ holding this many files (for example 1000000).", DefaultValueFactory = _ => 0 };
        var seed = new Option<int>("--seed") { Description = "Seed of the generated tree.", DefaultValueFactory = _ => 1 };
        var certOut = new Option<string?>("--cert-out") { Description = "Write the self-signed certificate (PEM) here, for clients' --ca-cert." };
        var user = new Option<string>("--user") { Description = "Administrator user.", DefaultValueFactory = _ => "admin" };
        var password = new Option<string>("--password") { Description = "Administrator password.", DefaultValueFactory = _ => "admin" };
        var command = new Command(
            "serve",
            "Serve a simulated cluster over HTTPS until Ctrl-C. A second user reader/reader lacks the right to recursive watches.\n\nExample:\n  qindex sim serve --port 8000 --objects 1000000 --seed 7 --cert-out sim.pem");
        foreach (var option in new Option[] { host, port, objects, wide, seed, certOut, user, password })
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
                    CertOut = parse.GetValue(certOut),
                    User = parse.GetValue(user)!,
                    Password = parse.GetValue(password)!,
                },
                cancellationToken);
            Console.WriteLine($"serving {parse.GetValue(objects):N0} objects (seed {parse.GetValue(seed)}) at {server.BaseAddress}");
            if (parse.GetValue(wide) is > 0 and var wideEntries)
            {
                Console.WriteLine($"plus /wide/ holding {wideEntries:N0} files");
            }

            Console.WriteLine($"certificate SHA-256: {server.CertificateSha256}");
            if (parse.GetValue(certOut) is { } pem)
            {
                Console.WriteLine($"certificate PEM written to {pem}");
            }

            Console.WriteLine($"log in as {parse.GetValue(user)} (password as given) or reader/reader; fault API under {server.BaseAddress}__sim/faults/; Ctrl-C stops");
            await server.WaitForShutdownAsync(cancellationToken);
            return 0;
        });
        return command;
    }

    private static Command BuildFault()
    {
        var cluster = new ClusterOptions();
        var kind = new Argument<string>("kind") { Description = "drop-streams, expire-tokens, errors, latency, stall-streams or clear." };
        var status = new Option<int>("--status") { Description = "errors: 429 or 503.", DefaultValueFactory = _ => 503 };
        var fraction = new Option<double>("--fraction") { Description = "errors: share of requests answered with --status.", DefaultValueFactory = _ => 0.5 };
        var seconds = new Option<double>("--seconds") { Description = "errors, latency, stall-streams: how long.", DefaultValueFactory = _ => 10 };
        var ms = new Option<int>("--ms") { Description = "latency: milliseconds added to each request.", DefaultValueFactory = _ => 100 };
        var command = new Command(
            "fault",
            "Inject a fault into a running simulator.\n\nExample:\n  qindex sim fault errors --status 429 --fraction 0.3 --seconds 20 --host 127.0.0.1 --port 8000 --ca-cert sim.pem");
        command.Arguments.Add(kind);
        cluster.AddTo(command);
        foreach (var option in new Option[] { status, fraction, seconds, ms })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            // The fault API needs no login; only the TLS settings of the connection matter.
            var connection = new QumuloConnection
            {
                Host = parse.GetValue(cluster.Host)!,
                Port = parse.GetValue(cluster.Port),
                CaCertificateFile = parse.GetValue(cluster.CaCert),
                PinSha256 = parse.GetValue(cluster.PinSha256),
                Insecure = parse.GetValue(cluster.Insecure),
            };
            using var handler = new SocketsHttpHandler();
            TlsPolicy.Configure(handler, connection);

            using var http = new HttpClient(handler) { BaseAddress = connection.BaseAddress };
            var body = new Dictionary<string, object>
            {
                ["status"] = parse.GetValue(status),
                ["fraction"] = parse.GetValue(fraction),
                ["seconds"] = parse.GetValue(seconds),
                ["ms"] = parse.GetValue(ms),
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
        var path = new Option<string>("--path") { Description = "Directory to churn (absolute, not the root); a scratch directory is made beside it.", Required = true };
        var ops = new Option<int>("--ops") { Description = "Steps to run.", DefaultValueFactory = _ => 1000 };
        var rate = new Option<double>("--rate") { Description = "Steps per second at most (0: unlimited).", DefaultValueFactory = _ => 0 };
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
