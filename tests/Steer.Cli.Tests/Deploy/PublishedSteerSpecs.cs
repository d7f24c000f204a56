using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Steer.Tests.Cli;
using Steer.Tests.IO;
using InProcess = Steer.Tests.Cli.Cli;

namespace Steer.Tests.Deploy;

/// <summary>
/// What the container image would hold, since no image can be built here: the CLI published exactly as the
/// Dockerfile publishes it, run from a directory outside the repository with its own Hugging Face cache. It
/// generates what the in-process CLI generates, draws a sweep's charts, and serves as the image's default command
/// does: refused on every interface without an API key, and with one, healthy, guarded, and stopped cleanly by SIGTERM.
/// </summary>
public sealed partial class PublishedSteerSpecs(CliModelFixture fixture) : IClassFixture<CliModelFixture>, IDisposable
{
    private const string Publish = "dotnet publish src/Steer.Cli -c Release -o /opt/steer";

    private readonly TempDirectory _outside = new();

    [Fact]
    public async Task The_published_steer_runs_outside_the_repository_as_the_image_runs_it()
    {
        // Arrange
        var dockerfile = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "Dockerfile"));
        dockerfile.ShouldContain($"RUN {Publish}");
        dockerfile.ShouldContain("""ENTRYPOINT ["steer"]""");
        dockerfile.ShouldContain("""CMD ["serve", "--host", "0.0.0.0", "--port", "8080"]""");
        var steer = await PublishAsync();
        string[] generate = ["generate", "--model", fixture.Directory, "--prompt", "I hate you because", "--max-new-tokens", "8", "--temperature", "0"];

        // Act
        var generated = await RunAsync(steer, generate);
        var sweep = await RunAsync(steer, ["sweep", "--model", fixture.Directory, "--metric", "kl", "--layers", "0", "--coeffs", "1",
            "--plus", "Love", "--minus", "Hate", "--out", "sweep"]);
        var open = await RunAsync(steer, ["serve", "--model", fixture.Directory, "--host", "0.0.0.0", "--port", "0"]);

        // Assert
        generated.ExitCode.ShouldBe(0, generated.Error);
        generated.Output.ShouldBe(InProcess.Run(generate).Output);
        sweep.ExitCode.ShouldBe(0, sweep.Error);
        new FileInfo(_outside.File("sweep/report.html")).Length.ShouldBeGreaterThan(1000);
        Directory.GetFiles(_outside.File("sweep"), "*.png").ShouldNotBeEmpty("ScottPlot's native Skia library is in the published output");
        open.ExitCode.ShouldBe(2, open.Error);
        open.Error.ShouldContain("give --api-key (or STEER_API_KEY)");
        await ServesWithKeyAndStopsOnSigterm(steer);
    }

    private async Task ServesWithKeyAndStopsOnSigterm(string steer)
    {
        const string key = "published-test-key";
        using var server = Start(steer, ["serve", "--model", fixture.Directory, "--host", "0.0.0.0", "--port", "0"], key);
        var serving = await server.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(2)) ?? "";
        var port = Port().Match(serving);
        port.Success.ShouldBeTrue($"the serving line: {serving} {(server.HasExited ? await server.StandardError.ReadToEndAsync() : "")}");
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port.Groups[1].Value}") };

        (await http.GetAsync("/healthz")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await http.GetAsync("/v1/models")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        using var authorized = new HttpRequestMessage(HttpMethod.Get, "/v1/models") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", key) } };
        (await http.SendAsync(authorized)).StatusCode.ShouldBe(HttpStatusCode.OK);

        Process.Start("kill", ["-TERM", server.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]).WaitForExit();
        await server.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        server.ExitCode.ShouldBe(0, await server.StandardError.ReadToEndAsync());
    }

    /// <summary>The Dockerfile's publish command, into a directory of its own.</summary>
    private async Task<string> PublishAsync()
    {
        var output = _outside.File("opt/steer");
        var args = Publish.Split(' ')[1..^1].Append(output).Concat(["-v", "quiet", "-nologo", "--disable-build-servers"]);
        var published = await RunAsync("dotnet", args, workingDirectory: RepositoryRoot.Path, timeout: TimeSpan.FromMinutes(10));
        published.ExitCode.ShouldBe(0, published.Output + published.Error);
        return Path.Combine(output, "steer");
    }

    private async Task<(int ExitCode, string Output, string Error)> RunAsync(string program, IEnumerable<string> args, string? workingDirectory = null,
        TimeSpan? timeout = null)
    {
        using var process = Start(program, args, apiKey: null, workingDirectory);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(timeout ?? TimeSpan.FromMinutes(3));
        return (process.ExitCode, await output, await error);
    }

    private Process Start(string program, IEnumerable<string> args, string? apiKey, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory ?? _outside.Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        // As in the image: a cache of its own, the runtime found through DOTNET_ROOT, and no MSBuild state inherited
        // from the `dotnet test` that runs this.
        start.Environment["HF_HOME"] = _outside.File("hf");
        start.Environment["HF_HUB_OFFLINE"] = "1";
        start.Environment["DOTNET_ROOT"] = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "..", "..", ".."));
        foreach (var variable in new[] { "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "MSBuildLoadMicrosoftTargetsReadOnly", "STEER_API_KEY", "STEER_MODEL" })
            start.Environment.Remove(variable);
        if (apiKey is not null) start.Environment["STEER_API_KEY"] = apiKey;
        return Process.Start(start)!;
    }

    public void Dispose() => _outside.Dispose();

    [GeneratedRegex(@":(\d+)/v1 ")]
    private static partial Regex Port();
}
