using System.CommandLine;
using Steer.Cli.Commands.Shared;
using Steer.Hub;

namespace Steer.Cli.Commands;

/// <summary>
/// <c>steer download MODEL [--revision R] [--quiet] [--json]</c>: fetches a Hub model into the Hugging Face cache
/// ahead of time (the files Steer uses: config, safetensors weights, tokenizer), or confirms it is there.
/// </summary>
internal static class DownloadCommand
{
    public static Command Create(CliContext context)
    {
        var model = new Argument<string>("model") { Description = "A Hugging Face id: gpt2, gpt2-medium, gpt2-large, gpt2-xl, distilgpt2 or org/name." };
        var revision = new Option<string>("--revision")
        {
            Description = "Branch, tag or commit to fetch.",
            DefaultValueFactory = _ => "main",
        };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No progress bar (it only shows when stderr is a terminal anyway)." };
        var json = new Option<bool>("--json") { Description = "Print {\"repo\",\"revision\",\"commit\",\"snapshot\",\"files\",\"downloaded\"}." };
        var command = new Command("download",
            "Download a model from the Hugging Face Hub into the shared Hugging Face cache ($HF_HUB_CACHE, $HF_HOME/hub or ~/.cache/huggingface/hub).")
        {
            model, revision, quiet, json,
        };
        command.SetAction(parse =>
        {
            var snapshot = HubDownloader.Download(parse.GetValue(model)!, parse.GetValue(revision)!,
                HubSettings.Options(context, parse.GetValue(quiet)));
            if (parse.GetValue(json))
            {
                Json.Write(context.Output, new
                {
                    repo = snapshot.RepoId,
                    revision = snapshot.Revision,
                    commit = snapshot.Commit,
                    snapshot = snapshot.Directory,
                    files = snapshot.Files,
                    downloaded = snapshot.Downloaded,
                });
                return ExitCodes.Ok;
            }
            context.Output.WriteLine($"{snapshot.RepoId} (revision {snapshot.Revision}) is at commit {snapshot.Commit}");
            var width = snapshot.Files.Max(f => f.Length);
            foreach (var file in snapshot.Files)
            {
                var size = DownloadProgressBar.Size(SizeOf(Path.Combine(snapshot.Directory, file)));
                var how = snapshot.Downloaded.Contains(file) ? "downloaded" : "cached";
                context.Output.WriteLine($"  {file.PadRight(width)}  {size,8}  {how}");
            }
            context.Output.WriteLine($"snapshot {snapshot.Directory}");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The size of the blob a snapshot entry links to (FileInfo.Length of a link is the link's own).</summary>
    private static long SizeOf(string path)
    {
        var info = new FileInfo(path);
        return (info.ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? info).Length;
    }
}
