using System.Globalization;
using System.Text;

namespace Qindex.Index.Import;

/// <summary>
/// An import whose sources do not look like a good index: no good rows at all, or more bad lines
/// than the allowed fraction. Nothing is committed, so a good index is never replaced by an empty
/// or mangled one; the message says how many lines were bad and where the first ones are.
/// </summary>
public sealed class ImportRefusedException : Exception
{
    /// <summary>The largest share of bad lines <c>qindex import</c> accepts unless told otherwise (1%).</summary>
    public const double DefaultMaxBadFraction = 0.01;

    /// <summary>Bad lines named in the message; the rest are counted.</summary>
    public const int BadLinesNamed = 5;

    public ImportRefusedException(string message)
        : base(message)
    {
    }

    public ImportRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ImportRefusedException()
        : base("the import was refused")
    {
    }

    /// <summary>Good rows read.</summary>
    public long GoodRows { get; private init; }

    /// <summary>Bad lines or rows read.</summary>
    public long BadLines { get; private init; }

    /// <summary>Throws when <paramref name="goodRows"/> and <paramref name="badLines"/> must not replace the index.</summary>
    /// <exception cref="ImportRefusedException">No good rows, or a bad share above <paramref name="maxBadFraction"/>.</exception>
    public static void ThrowIfRefused(long goodRows, long badLines, IReadOnlyList<BadInput> firstBad, double maxBadFraction)
    {
        ArgumentNullException.ThrowIfNull(firstBad);
        var total = goodRows + badLines;
        var fraction = total == 0 ? 0 : (double)badLines / total;
        string reason;
        if (goodRows == 0)
        {
            reason = badLines == 0
                ? "the sources hold no rows"
                : string.Create(CultureInfo.InvariantCulture, $"none of the {badLines:N0} lines is a good row");
        }
        else if (fraction > maxBadFraction)
        {
            reason = string.Create(
                CultureInfo.InvariantCulture,
                $"{badLines:N0} of {total:N0} lines are bad ({fraction:P1}), more than --max-bad-fraction {maxBadFraction:0.####}");
        }
        else
        {
            return;
        }

        var message = new StringBuilder("import refused: ").Append(reason).Append("; the index was not changed.");
        if (firstBad.Count > 0)
        {
            message.Append(" First bad lines: ")
                .AppendJoin("; ", firstBad.Take(BadLinesNamed).Select(b => string.Create(CultureInfo.InvariantCulture, $"{b.File}:{b.Line}: {b.Reason}")))
                .Append(badLines > BadLinesNamed ? string.Create(CultureInfo.InvariantCulture, $"; and {badLines - BadLinesNamed:N0} more.") : ".");
        }

        throw new ImportRefusedException(message.ToString()) { GoodRows = goodRows, BadLines = badLines };
    }
}
