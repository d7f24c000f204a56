using System.Text;
using Steer.Cli;
using Steer.Cli.Terminal;

Console.OutputEncoding = Encoding.UTF8;
var output = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = true };
var isTerminal = !Console.IsOutputRedirected;
return SteerCli.Run(args, new CliContext(output, Console.Error, IsTerminal: isTerminal, ErrorIsTerminal: !Console.IsErrorRedirected,
    Width: TerminalInfo.Width(isTerminal, Environment.GetEnvironmentVariable), Color: TerminalInfo.UseColor(isTerminal, Environment.GetEnvironmentVariable)));
