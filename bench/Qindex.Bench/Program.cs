using Qindex.Bench;

var benchmarks = typeof(IBenchmark).Assembly.GetTypes()
    .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IBenchmark).IsAssignableFrom(t))
    .Select(t => (IBenchmark)Activator.CreateInstance(t)!)
    .OrderBy(b => b.Name, StringComparer.Ordinal)
    .ToList();

if (args.Length == 0 || benchmarks.All(b => b.Name != args[0]))
{
    Console.WriteLine("usage: dotnet run -c Release --project bench/Qindex.Bench -- NAME [options]");
    Console.WriteLine();
    foreach (var b in benchmarks)
    {
        Console.WriteLine($"  {b.Name,-24} {b.Description}");
    }

    return args.Length == 0 ? 0 : 2;
}

if (args[0] != SimHostBenchmark.CommandName)
{
    // The shared machine's speed has drifted by a factor of two within a session: a fixed loop
    // timed before each run says which state a table was taken in (the simulator host, a child
    // of the watch benchmarks, prints nothing of its own).
    Console.WriteLine(Calibration.Describe());
}

using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cts.Cancel();
};
return await benchmarks.First(b => b.Name == args[0]).RunAsync(args[1..], cts.Token);
