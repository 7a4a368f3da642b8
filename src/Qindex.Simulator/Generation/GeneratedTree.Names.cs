using System.Text;
using Qindex.Simulator.Model;

namespace Qindex.Simulator.Generation;

/// <content>
/// Names. Every generated name is <c>STEM~TOKEN[EXT]</c>, where TOKEN is the slot id in base 36
/// and STEM never contains '~'. Stems include the awkward characters real trees have: spaces,
/// quotes, percent signs, backslashes, newlines, accented and CJK letters, and some names are
/// exactly 255 UTF-8 bytes long.
/// </content>
public sealed partial class GeneratedTree
{
    private static readonly string[] Words =
    [
        "report", "data", "IMG", "backup", "scan", "invoice", "notes", "render", "build", "archive",
        "photo", "draft", "final", "export", "log", "config", "model", "sample", "video", "project",
    ];

    private static readonly string[] Extensions =
    [
        ".txt", ".log", ".dat", ".jpg", ".csv", ".parquet", ".bin", "", ".tar.gz", ".pdf", ".mp4", ".json",
    ];

    private string DirectoryName(long id) => Compose(id, isDirectory: true, string.Empty);

    private string SlotName(long slot, FileType kind)
    {
        string ext = kind switch
        {
            FileType.File => Extensions[(int)(Hashing.Of(_seed, slot, 31) % (ulong)Extensions.Length)],
            FileType.Symlink => ".lnk",
            _ => string.Empty,
        };
        return Compose(slot, isDirectory: false, ext);
    }

    private string SymlinkTarget(long id) =>
        "../" + Words[(int)(Hashing.Of(_seed, id, 32) % (ulong)Words.Length)] + "/target-" + id.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private string Compose(long id, bool isDirectory, string ext)
    {
        ulong h = Hashing.Of(_seed, id, 30);
        string word = Words[(int)(h % (ulong)Words.Length)];
        int n = (int)((h >> 8) % 1000);
        int roll = (int)((h >> 20) % 1000);
        string token = "~" + ToBase36(id) + ext;
        string stem = roll switch
        {
            < 20 => $"{word} {n} copy",
            < 30 => $"{word}'s {n}",
            < 40 => $"say \"{word}\" {n}",
            < 50 => $"{n}% {word}",
            < 58 => $"{word}\\{n}",
            < 63 => $"{word}\nline {n}",
            < 80 => $"résumé café {word} {n}",
            < 95 => $"報告書 データ {n}",
            < 98 => $"It's \"{n}%\" \\ 日本 {word}",
            < 100 => LongStem(token),
            _ => isDirectory ? $"{word}_{n}" : $"{word}-{n:D3}",
        };
        return stem + token;
    }

    /// <summary>A stem that makes the whole name exactly 255 UTF-8 bytes.</summary>
    private static string LongStem(string suffix)
    {
        int budget = 255 - Encoding.UTF8.GetByteCount(suffix);
        var sb = new StringBuilder("long name ");
        budget -= sb.Length;
        while (budget >= 2)
        {
            sb.Append('é');
            budget -= 2;
        }

        if (budget == 1)
        {
            sb.Append('x');
        }

        return sb.ToString();
    }

    private static string ToBase36(long value)
    {
        Span<char> buffer = stackalloc char[16];
        int pos = buffer.Length;
        do
        {
            int digit = (int)(value % 36);
            buffer[--pos] = (char)(digit < 10 ? '0' + digit : 'a' + digit - 10);
            value /= 36;
        }
        while (value > 0);
        return new string(buffer[pos..]);
    }

    /// <summary>The slot id embedded after the last '~', or -1.</summary>
    private static long ParseEmbeddedId(string name)
    {
        int tilde = name.LastIndexOf('~');
        if (tilde < 0)
        {
            return -1;
        }

        long value = 0;
        int digits = 0;
        for (int i = tilde + 1; i < name.Length && digits < 13; i++, digits++)
        {
            char c = name[i];
            int d = c is >= '0' and <= '9' ? c - '0' : c is >= 'a' and <= 'z' ? c - 'a' + 10 : -1;
            if (d < 0)
            {
                break;
            }

            value = (value * 36) + d;
        }

        return digits == 0 ? -1 : value;
    }
}
