using System.CommandLine;

namespace Qindex.Cli;

/// <summary>
/// One top-level verb of the qindex command line (crawl, import, sim, ...). Implementations are
/// discovered by reflection so each verb lives in its own file under Commands/.
/// </summary>
public interface ICliCommand
{
    /// <summary>Builds the System.CommandLine command, with its options and action.</summary>
    Command Build();
}
