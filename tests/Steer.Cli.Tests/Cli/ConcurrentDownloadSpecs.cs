using System.Diagnostics;
using Steer.Tests.Hub;

namespace Steer.Tests.Cli;

/// <summary>Two steer processes share the Hugging Face cache through its file locks.</summary>
public sealed class ConcurrentDownloadSpecs : HubTestBase
{
    private const string Weights = "model.safetensors";

    private static byte[] WeightBytes => HubModels.Single[Weights];

    private List<HubRequest> WeightRequests() => Hub.Requests.Where(r => r.Host == "lfs" && r.Path.Contains(Weights)).ToList();

    [Fact]
    public async Task Two_steer_processes_downloading_the_same_model_at_once_fetch_each_file_once()
    {
        // Arrange: slow enough (about 2 s for the weights) that the second process starts while the first downloads.
        Hub.Throttle = TimeSpan.FromMilliseconds(200);

        // Act
        var results = await Task.WhenAll(RunSteerProcess("download", RepoId, "--json"), RunSteerProcess("download", RepoId, "--json"));

        // Assert
        foreach (var (exitCode, output, error) in results)
        {
            exitCode.ShouldBe(0, error);
            output.ShouldContain(Commit);
        }
        WeightRequests().Count.ShouldBe(1);
        File.ReadAllBytes(Path.Combine(RepoFolder, "snapshots", Commit, Weights)).ShouldBe(WeightBytes);
    }

    /// <summary>Runs the steer CLI built next to the tests as a separate process, pointed at the fake Hub and the test cache.</summary>
    private async Task<(int ExitCode, string Output, string Error)> RunSteerProcess(params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "steer.dll"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment["HF_ENDPOINT"] = Hub.Endpoint.ToString();
        start.Environment["HF_HUB_CACHE"] = Cache.Path;
        start.Environment["HF_TOKEN_PATH"] = Cache.File("no-token");
        foreach (var variable in new[] { "HF_HOME", "HF_TOKEN", "HF_HUB_OFFLINE" }) start.Environment.Remove(variable);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }
}
