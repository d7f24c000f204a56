using Steer.Cli.Commands.Shared;
using Steer.Tests.Hub;

namespace Steer.Tests.Cli;

/// <summary>
/// steer download, and --model downloading on demand, against a fake Hub that HF_ENDPOINT points at, into an
/// empty cache that HF_HUB_CACHE points at.
/// </summary>
[Collection("Environment")]
public sealed class DownloadCommandSpecs : IDisposable
{
    private const string RepoId = "steer-tests/tiny";
    private readonly HubEnvironment _environment = new();

    public DownloadCommandSpecs() => _environment.Hub.AddRepo(RepoId, HubModels.Single);

    private FakeHub Hub => _environment.Hub;

    private string Snapshot => Path.Combine(_environment.Cache.Path, "models--steer-tests--tiny", "snapshots", FakeHub.CommitOf(RepoId));

    public void Dispose() => _environment.Dispose();

    private static string WeightsLine(string output) =>
        output.Split(Environment.NewLine).Single(line => line.StartsWith("  model.safetensors ", StringComparison.Ordinal));

    [Fact]
    public void Download_with_json_prints_the_repo_commit_snapshot_and_files_and_nothing_on_stderr_when_not_a_terminal()
    {
        // Act
        var result = Cli.Run("download", RepoId, "--json");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        result.Error.ShouldBeEmpty();
        var json = result.Json();
        json.GetProperty("repo").GetString().ShouldBe(RepoId);
        json.GetProperty("revision").GetString().ShouldBe("main");
        json.GetProperty("commit").GetString().ShouldBe(FakeHub.CommitOf(RepoId));
        json.GetProperty("snapshot").GetString().ShouldBe(Snapshot);
        json.GetProperty("files").Strings().ShouldBe(HubModels.SingleFetched);
        json.GetProperty("downloaded").Strings().ShouldBe(HubModels.SingleFetched);
    }

    [Fact]
    public void A_second_download_lists_every_file_as_cached_and_transfers_nothing()
    {
        // Arrange
        var first = Cli.Run("download", RepoId);
        var transfers = Hub.FileDownloads.Count;

        // Act
        var second = Cli.Run("download", RepoId);

        // Assert
        var weightsSize = DownloadProgressBar.Size(HubModels.Single["model.safetensors"].Length);
        WeightsLine(first.Output).ShouldEndWith($" {weightsSize}  downloaded");
        second.ExitCode.ShouldBe(0, second.Error);
        second.Output.ShouldStartWith($"{RepoId} (revision main) is at commit {FakeHub.CommitOf(RepoId)}");
        second.Output.ShouldNotContain("downloaded");
        WeightsLine(second.Output).ShouldEndWith($" {weightsSize}  cached");
        second.Output.ShouldContain($"snapshot {Snapshot}");
        Hub.FileDownloads.Count.ShouldBe(transfers);
    }

    [Fact]
    public void A_command_given_a_model_id_downloads_it_on_demand_and_loads_it()
    {
        // Act
        var result = Cli.Run("inspect", "--model", RepoId, "--json");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        result.Json().GetProperty("model").GetString().ShouldBe(RepoId);
        result.Json().GetProperty("config").GetProperty("n_layer").GetInt32().ShouldBe(2);
        File.Exists(Path.Combine(Snapshot, "model.safetensors")).ShouldBeTrue();
    }

    [Fact]
    public void On_a_terminal_each_file_shows_a_progress_bar_on_stderr_that_ends_at_100_percent()
    {
        // Act
        var result = Cli.RunOnTerminal("download", RepoId);

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        result.Error.ShouldContain("\r");
        var finished = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split('\r').Last().TrimEnd()).ToList();
        finished.Count.ShouldBe(HubModels.SingleFetched.Length);
        finished.ShouldContain(line => line.StartsWith("model.safetensors ") && line.Contains("100% [============]") && line.EndsWith(" done"));
        result.Output.ShouldNotContain("\r");
    }

    [Fact]
    public void On_a_terminal_a_failed_download_ends_its_progress_line_so_the_error_starts_a_line_of_its_own()
    {
        // Arrange
        Hub.Corrupt("model.safetensors");

        // Act
        var result = Cli.RunOnTerminal("download", RepoId);

        // Assert
        result.ExitCode.ShouldBe(4, result.Error);
        result.Error.ShouldContain(" failed" + Environment.NewLine + "steer: error: The download of 'model.safetensors'");
    }

    [Fact]
    public void Quiet_turns_the_progress_bar_off_even_on_a_terminal()
    {
        // Act
        var result = Cli.RunOnTerminal("generate", "--model", RepoId, "--ids", "1,2,3", "--max-new-tokens", "2", "--quiet");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        result.Error.ShouldNotContain("\r");
        File.Exists(Path.Combine(Snapshot, "model.safetensors")).ShouldBeTrue();
    }

    [Fact]
    public void HF_HUB_DISABLE_PROGRESS_BARS_turns_the_progress_bar_off_as_in_huggingface_hub()
    {
        // Arrange
        HubEnvironment.Set("HF_HUB_DISABLE_PROGRESS_BARS", "1");

        // Act
        var result = Cli.RunOnTerminal("download", RepoId);

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        result.Error.ShouldBeEmpty();
    }

    [Fact]
    public void Offline_mode_without_a_cached_copy_exits_with_3_saying_offline_mode_is_on()
    {
        // Arrange
        HubEnvironment.Set("HF_HUB_OFFLINE", "1");

        // Act
        var result = Cli.Run("download", RepoId);

        // Assert
        result.ShouldFailWith(3, $"Model '{RepoId}' (revision 'main') is not in the local Hugging Face cache", "offline mode is on (HF_HUB_OFFLINE=1)");
        Hub.Requests.ShouldBeEmpty();
    }

    [Fact]
    public void Offline_mode_with_a_cached_copy_runs_without_touching_the_network()
    {
        // Arrange
        Cli.Run("download", RepoId).ExitCode.ShouldBe(0);
        var before = Hub.Requests.Count;
        HubEnvironment.Set("HF_HUB_OFFLINE", "true");

        // Act
        var result = Cli.Run("generate", "--model", RepoId, "--ids", "1,2,3", "--max-new-tokens", "2", "--json");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        Hub.Requests.Count.ShouldBe(before);
    }

    [Fact]
    public void A_cached_model_keeps_working_when_the_hub_is_unreachable_with_a_note_on_stderr()
    {
        // Arrange
        Cli.Run("download", RepoId).ExitCode.ShouldBe(0);
        HubEnvironment.Set("HF_ENDPOINT", NoInternet.ClosedEndpoint);

        // Act
        var result = Cli.Run("generate", "--model", RepoId, "--ids", "1,2,3", "--max-new-tokens", "2", "--json");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        result.Error.ShouldStartWith($"steer: note: the Hub at {NoInternet.ClosedEndpoint} is unreachable");
        result.Json().GetProperty("completions").GetArrayLength().ShouldBe(1);
    }

    [Fact]
    public void HF_TOKEN_opens_a_gated_model_and_a_wrong_one_fails_without_being_printed()
    {
        // Arrange
        Hub.AddRepo("steer-tests/gated", HubModels.Single, token: "hf_RightSecret");
        HubEnvironment.Set("HF_TOKEN", "hf_WrongSecret");

        // Act
        var refused = Cli.Run("download", "steer-tests/gated");
        HubEnvironment.Set("HF_TOKEN", "hf_RightSecret");
        var allowed = Cli.Run("download", "steer-tests/gated", "--json");

        // Assert
        refused.ShouldFailWith(3, "Model 'steer-tests/gated'", "refused the token in HF_TOKEN");
        refused.Error.ShouldNotContain("hf_WrongSecret");
        allowed.ExitCode.ShouldBe(0, allowed.Error);
        allowed.Output.ShouldNotContain("hf_RightSecret");
        Hub.Requests.Where(r => r.Host == "lfs").ShouldAllBe(r => r.Authorization == null);
    }

    [Fact]
    public void An_unknown_repository_exits_with_3_naming_it()
    {
        // Act
        var result = Cli.Run("download", "steer-tests/missing");

        // Assert
        result.ShouldFailWith(3, "Model 'steer-tests/missing' was not found on http://127.0.0.1:");
    }

    [Theory]
    [InlineData("/tmp/some/model")]
    [InlineData("a/b/c")]
    public void Download_of_something_that_is_not_a_hub_id_is_a_usage_error(string model)
    {
        // Act
        var result = Cli.Run("download", model);

        // Assert
        result.ShouldFailWith(2, $"'{model}' is not a Hugging Face model id");
        Hub.Requests.ShouldBeEmpty();
    }

    [Fact]
    public void An_HF_ENDPOINT_that_is_not_an_http_url_is_a_usage_error()
    {
        // Arrange
        HubEnvironment.Set("HF_ENDPOINT", "ftp://mirror.example");

        // Act
        var result = Cli.Run("download", RepoId);

        // Assert
        result.ShouldFailWith(2, "HF_ENDPOINT 'ftp://mirror.example' is not an http or https URL.");
    }
}
