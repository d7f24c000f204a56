using System.Diagnostics;
using Steer.Tests.Cli;
using Steer.Tests.IO;

namespace Steer.Tests.Deploy;

/// <summary>
/// deploy/slurm on a real one-node Slurm cluster (scripts/slurm-local.sh): the array job computes the shards, the
/// dependent merge job joins them, and the result is the unsharded sweep's, byte for byte.
/// </summary>
public sealed class SlurmSweepSpecs(CliModelFixture fixture) : IClassFixture<CliModelFixture>
{
    private static readonly string Repository = RepositoryRoot.Path;

    // One thread everywhere: libtorch's reductions depend on the thread count, and byte-identical files need the
    // same arithmetic (each array task gets one CPU, so its OMP_NUM_THREADS is 1).
    private static readonly Dictionary<string, string> OneThread = new() { ["OMP_NUM_THREADS"] = "1" };

    [Fact]
    public async Task A_four_task_array_job_and_its_merge_job_write_what_one_process_writes()
    {
        // Arrange
        using var directory = new TempDirectory();
        string[] sweep = ["--model", fixture.Directory, "--metric", "kl", "--layers", "0..1", "--coeffs", "-2,0,1.5,3", "--plus", "Love", "--minus", "Hate"];
        var whole = await Run(directory.Path, "dotnet", [SteerDll, "sweep", .. sweep, "--out", "whole"], OneThread);
        whole.ExitCode.ShouldBe(0, whole.Error);
        var cluster = directory.File("cluster");
        var up = await Run(directory.Path, Path.Combine(Repository, "scripts", "slurm-local.sh"), ["up", cluster]);
        up.ExitCode.ShouldBe(0, $"the one-node cluster did not start (Debian's slurm-wlm and munge, as root; .ci/run installs them): {up.Error}");
        try
        {
            var environment = new Dictionary<string, string> { ["SLURM_CONF"] = Path.Combine(cluster, "slurm.conf"), ["STEER"] = $"dotnet {SteerDll}" };

            // Act
            var array = await Run(directory.Path, "sbatch", ["--parsable", "--array=0-3", "--cpus-per-task=1", "--mem=1G",
                Path.Combine(Repository, "deploy", "slurm", "sweep.sbatch"), .. sweep, "--out", "shards"], environment);
            array.ExitCode.ShouldBe(0, array.Error);
            var arrayJob = array.Output.Trim();
            var merge = await Run(directory.Path, "sbatch", ["--parsable", $"--dependency=afterok:{arrayJob}", "--mem=1G",
                Path.Combine(Repository, "deploy", "slurm", "merge.sbatch"), "shards", "--out", "merged"], environment);
            merge.ExitCode.ShouldBe(0, merge.Error);
            var mergeJob = merge.Output.Trim();
            await WaitUntilGone(directory.Path, environment, $"{arrayJob},{mergeJob}", TimeSpan.FromMinutes(5));

            // Assert
            var logs = Enumerable.Range(0, 4).Select(i => File.ReadAllText(directory.File($"steer-sweep-{arrayJob}_{i}.out"))).ToList();
            // Cells cost 2 + layer (2 model layers): 4 cells at 2 and 4 at 3, split in order into runs of about 20 / 4.
            int[] cells = [2, 3, 1, 2];
            for (var i = 0; i < 4; i++) logs[i].ShouldContain($"shard {i}/4: {cells[i]} of 8 cells", customMessage: logs[i]);
            File.ReadAllText(directory.File($"steer-sweep-merge-{mergeJob}.out")).ShouldContain("merged 4 shard file(s) of a 8-cell sweep");
            var files = Directory.GetFiles(directory.File("whole")).Select(Path.GetFileName).Order().ToList();
            files.ShouldContain("results.csv");
            Directory.GetFiles(directory.File("merged")).Select(Path.GetFileName).Order().ShouldBe(files);
            foreach (var file in files)
                File.ReadAllBytes(Path.Combine(directory.File("merged"), file!)).SequenceEqual(File.ReadAllBytes(Path.Combine(directory.File("whole"), file!)))
                    .ShouldBeTrue($"{file} differs");
        }
        finally
        {
            await Run(directory.Path, Path.Combine(Repository, "scripts", "slurm-local.sh"), ["down", cluster]);
        }
    }

    private static string SteerDll => Path.Combine(AppContext.BaseDirectory, "steer.dll");

    /// <summary>Polls squeue (accounting is off in the local cluster, so sacct has nothing) until the jobs have left the queue.</summary>
    private static async Task WaitUntilGone(string workingDirectory, Dictionary<string, string> environment, string jobs, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var queue = await Run(workingDirectory, "squeue", ["-h", "-j", jobs, "-o", "%i %T %r"], environment);
            if (queue.ExitCode == 0 && queue.Output.Trim().Length == 0) return;
            if (clock.Elapsed > timeout) throw new TimeoutException($"the jobs were still queued after {timeout}: {queue.Output}{queue.Error}");
            await Task.Delay(500);
        }
    }

    private static async Task<(int ExitCode, string Output, string Error)> Run(string workingDirectory, string program, IEnumerable<string> args,
        Dictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        foreach (var (name, value) in environment ?? []) start.Environment[name] = value;
        start.Environment["PATH"] = $"{Environment.GetEnvironmentVariable("PATH")}:/usr/sbin:/sbin";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }
}
