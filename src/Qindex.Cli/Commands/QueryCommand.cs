using System.CommandLine;
using System.Data.Common;
using System.Text;
using DuckDB.NET.Data;
using Qindex.Index.Query;
using Spectre.Console;

namespace Qindex.Cli.Commands;

/// <summary><c>qindex query</c>: runs SQL over the view <c>files</c> (the current state of the index).</summary>
internal sealed class QueryCommand : ICliCommand
{
    /// <summary>Rows shown by the table format before it stops, so a careless SELECT * stays readable.</summary>
    private const int TableRowLimit = 10_000;

    public Command Build()
    {
        var index = new IndexOptions();
        var sql = new Argument<string>("SQL") { Description = "DuckDB SQL over the view 'files'." };
        sql.Validators.Add(result =>
        {
            if (string.IsNullOrWhiteSpace(result.GetValueOrDefault<string>()))
            {
                result.AddError("SQL is empty: give a query over the view 'files', for example \"SELECT count(*) FROM files\".");
            }
        });
        var format = new Option<string>("--format")
        {
            Description = "Output format: table, csv, json (one object per line) or parquet (needs --out).",
            DefaultValueFactory = _ => "table",
        };
        format.AcceptOnlyFromAmong("table", "csv", "json", "parquet");
        var output = new Option<string?>("--out") { Description = "Write to this file instead of standard output." }.IsOutputFile();
        var readOnly = new Option<bool>("--read-only")
        {
            Description = "Let the SQL read the index and nothing else: no other files, no COPY ... TO (except --out), no ATTACH.",
        };
        var command = new Command(
            "query",
            "Run SQL over the index; the table is named 'files'. The SQL is local and trusted: it runs with your file access unless --read-only.\n" +
            "Example: qindex query --index ./idx \"SELECT split_part(path, '/', 2) AS top, sum(size) FROM files GROUP BY top\"");
        index.AddTo(command);
        command.Arguments.Add(sql);
        command.Options.Add(format);
        command.Options.Add(output);
        command.Options.Add(readOnly);
        command.Validators.Add(result =>
        {
            if (result.GetValue(format) == "parquet" && result.GetValue(output) is null)
            {
                result.AddError("--format parquet needs --out FILE.");
            }
        });
        command.SetAction(async (parse, cancellationToken) =>
        {
            var fmt = parse.GetValue(format)!;
            var outPath = parse.GetValue(output);
            var options = new QueryEngineOptions
            {
                ReadOnly = parse.GetValue(readOnly),
                WritablePaths = outPath is null || fmt != "parquet" ? [] : [outPath],
            };
            await using var store = await index.OpenExistingAsync(parse, cancellationToken);
            await using var engine = await QueryEngine.OpenAsync(store, cancellationToken, options);
            var text = parse.GetValue(sql)!;
            if (fmt == "parquet")
            {
                await engine.CopyToParquetAsync(text, outPath!, cancellationToken);
                return 0;
            }

            await using var reader = await engine.ExecuteReaderAsync(text, cancellationToken);
            try
            {
                if (outPath is not null)
                {
                    await using var file = new StreamWriter(outPath, false, new UTF8Encoding(false));
                    await WriteAsync(reader, fmt, file, cancellationToken);
                }
                else
                {
                    await WriteAsync(reader, fmt, Console.Out, cancellationToken);
                }
            }
            catch (DuckDBException e)
            {
                // Rows are produced while they are written, so a data file that fails midway fails here.
                throw new QueryException(e.Message, e);
            }

            return 0;
        });
        return command;
    }

    private static async Task WriteAsync(DbDataReader reader, string format, TextWriter output, CancellationToken cancellationToken)
    {
        switch (format)
        {
            case "csv":
                await QueryOutput.WriteCsvAsync(reader, output, cancellationToken);
                break;
            case "json":
                await QueryOutput.WriteJsonLinesAsync(reader, output, cancellationToken);
                break;
            default:
                var names = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToArray();
                var table = new Table().Border(TableBorder.Simple);
                foreach (var name in names)
                {
                    table.AddColumn(new TableColumn(Markup.Escape(name)));
                }

                var rows = 0;
                var truncated = false;
                var values = new object?[names.Length];
                while (await reader.ReadAsync(cancellationToken))
                {
                    if (rows == TableRowLimit)
                    {
                        truncated = true;
                        break;
                    }

                    QueryOutput.Read(reader, values);
                    table.AddRow(values.Select(v => Markup.Escape(v is null ? "NULL" : QueryEngine.FormatValue(v))).ToArray());
                    rows++;
                }

                var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
                console.Write(table);
                await output.WriteLineAsync(truncated ? $"(first {TableRowLimit} rows shown; use --format csv or --out for all)" : $"({rows} rows)");
                break;
        }
    }
}
