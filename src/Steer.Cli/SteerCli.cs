using System.CommandLine;
using Steer.Cli.Commands;
using Steer.Cli.Parsing;

namespace Steer.Cli;

/// <summary>Builds the <c>steer</c> command tree and turns every failure into a message and an exit code.</summary>
public static class SteerCli
{
    public static int Run(string[] args, CliContext context)
    {
        var root = CreateRoot(context);
        var parse = root.Parse(args);
        if (ParseErrors.IsBareGroup(parse)) return Run([.. args, "--help"], context);
        if (parse.Errors.Count > 0)
        {
            context.Error.WriteLine($"steer: error: {ParseErrors.Message(parse)}");
            context.Error.WriteLine(ParseErrors.UsageHint(parse));
            return ExitCodes.Usage;
        }
        try
        {
            return parse.Invoke(new InvocationConfiguration
            {
                Output = context.Output,
                Error = context.Error,
                EnableDefaultExceptionHandler = false,
            });
        }
        catch (SteerException e)
        {
            context.Error.WriteLine($"steer: error: {e.Message}");
            return ExitCodes.For(e.Kind);
        }
        catch (Exception e)
        {
            context.Error.WriteLine($"steer: internal error: {e.GetType().Name}: {e.Message}");
            context.Error.WriteLine(System.Environment.GetEnvironmentVariable("STEER_DEBUG") == "1"
                ? e.ToString()
                : "This is a bug in Steer; set STEER_DEBUG=1 to print the stack trace and please report it.");
            return ExitCodes.Internal;
        }
    }

    /// <summary>The command tree, without running anything (the deployment tests parse the manifests' arguments with it).</summary>
    internal static RootCommand CreateRoot(CliContext context) => new("Steer: steer GPT-2 language models by adding vectors to their residual stream.")
    {
        TokenizeCommand.Create(context),
        GenerateCommand.Create(context),
        CompareCommand.Create(context),
        ScoreCommand.Create(context),
        VectorCommand.Create(context),
        CacheCommand.Create(context),
        EvalCommand.Create(context),
        SweepCommand.Create(context),
        RecipesCommand.Create(context),
        InspectCommand.Create(context),
        TemplateCommand.Create(context),
        ChatCommand.Create(context),
        DownloadCommand.Create(context),
        BenchCommand.Create(context),
        DebugCommand.Create(context),
        ServeCommand.Create(context),
    };
}
