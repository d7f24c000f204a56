using System.CommandLine;

namespace Steer.Cli.Commands;

/// <summary><c>steer eval perplexity|kl|effect|tokens|wordcount|norms|cloze|merge</c>: the post's measurements of steering, on your own texts.</summary>
internal static class EvalCommand
{
    public static Command Create(CliContext context) =>
        new("eval", "Measure steering: perplexity shifts, KL, effectiveness and disruption, per-token changes, topic-word counts and norms.")
        {
            EvalPerplexityCommand.Create(context),
            EvalKlCommand.Create(context),
            EvalEffectCommand.Create(context),
            EvalTokensCommand.Create(context),
            EvalWordCountCommand.Create(context),
            EvalNormsCommand.Create(context),
            EvalClozeCommand.Create(context),
            EvalMergeCommand.Create(context),
        };
}
