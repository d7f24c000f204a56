using Steer.Hub;

namespace Steer.Cli.Commands.Shared;

/// <summary>The Hub options of one command: the environment's, plus how downloads show up on stderr.</summary>
internal static class HubSettings
{
    /// <summary>
    /// A progress bar when stderr is a terminal, unless --quiet or HF_HUB_DISABLE_PROGRESS_BARS (huggingface_hub's
    /// switch) says otherwise; redirected output stays free of progress. Notes (such as "the Hub is unreachable,
    /// using the cached copy") are printed in every case, since they change what the command does.
    /// </summary>
    public static HubOptions Options(CliContext context, bool quiet)
    {
        var showProgress = context.ErrorIsTerminal && !quiet
            && !HubOptions.IsTrue(System.Environment.GetEnvironmentVariable("HF_HUB_DISABLE_PROGRESS_BARS"));
        return HubOptions.FromEnvironment() with
        {
            Progress = showProgress ? new DownloadProgressBar(context.Error) : null,
            Notice = message => context.Error.WriteLine($"steer: note: {message}"),
        };
    }
}
