using System.Text;
using Steer.Cli;

Console.OutputEncoding = Encoding.UTF8;
var output = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = true };
return SteerCli.Run(args, new CliContext(output, Console.Error, IsTerminal: !Console.IsOutputRedirected) { ErrorIsTerminal = !Console.IsErrorRedirected });
