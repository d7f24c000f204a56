namespace Steer.Tests.Hub;

/// <summary>Interrupted, wrong, failing and concurrent downloads.</summary>
public sealed class HubRobustnessTests : HubTestBase
{
    private const string Weights = "model.safetensors";

    private static byte[] WeightBytes => HubModels.Single[Weights];

    private List<HubRequest> WeightRequests() => Hub.Requests.Where(r => r.Host == "lfs" && r.Path.Contains(Weights)).ToList();

    [Fact]
    public void A_connection_dropped_mid_file_is_resumed_with_a_range_request()
    {
        // Arrange
        Hub.DropOnce(Weights, afterBytes: 40_000);

        // Act
        var snapshot = Download();

        // Assert
        File.ReadAllBytes(Path.Combine(snapshot.Directory, Weights)).ShouldBe(WeightBytes);
        var requests = WeightRequests();
        requests.Count.ShouldBe(2);
        requests[0].Range.ShouldBeNull();
        requests[1].Range.ShouldNotBeNull();
        var resumedAt = long.Parse(requests[1].Range!["bytes=".Length..^1]);
        resumedAt.ShouldBeInRange(1, 40_000);
        File.Exists(Blob(Weights) + ".incomplete").ShouldBeFalse();
    }

    [Fact]
    public void An_incomplete_file_left_by_an_earlier_run_is_resumed_where_it_stopped()
    {
        // Arrange
        Directory.CreateDirectory(Path.GetDirectoryName(Blob(Weights))!);
        File.WriteAllBytes(Blob(Weights) + ".incomplete", WeightBytes[..50_000]);

        // Act
        var snapshot = Download();

        // Assert
        WeightRequests().Select(r => r.Range).ShouldBe(["bytes=50000-"]);
        File.ReadAllBytes(Path.Combine(snapshot.Directory, Weights)).ShouldBe(WeightBytes);
        snapshot.Downloaded.ShouldContain(Weights);
    }

    [Fact]
    public void A_server_that_answers_a_range_request_with_the_whole_file_is_not_appended_to_the_partial_bytes()
    {
        // Arrange
        Hub.IgnoreRange = true;
        Directory.CreateDirectory(Path.GetDirectoryName(Blob(Weights))!);
        File.WriteAllBytes(Blob(Weights) + ".incomplete", WeightBytes[..50_000]);

        // Act
        var snapshot = Download();

        // Assert
        File.ReadAllBytes(Path.Combine(snapshot.Directory, Weights)).ShouldBe(WeightBytes);
    }

    [Fact]
    public void Content_that_does_not_match_its_sha256_is_deleted_and_nothing_appears_in_snapshots()
    {
        // Arrange
        Hub.Corrupt(Weights);

        // Act
        var error = Fails(ErrorKind.InvalidModel, () => Download());

        // Assert
        error.Message.ShouldContain($"'{Weights}' of '{RepoId}' is corrupt");
        error.Message.ShouldContain(FakeHub.Sha256(WeightBytes));
        error.Message.ShouldContain("deleted");
        var snapshots = Path.Combine(RepoFolder, "snapshots");
        (Directory.Exists(snapshots) ? Directory.GetFileSystemEntries(snapshots, "*", SearchOption.AllDirectories) : []).ShouldBeEmpty();
        File.Exists(Blob(Weights)).ShouldBeFalse();
        File.Exists(Blob(Weights) + ".incomplete").ShouldBeFalse();
        File.Exists(Path.Combine(RepoFolder, "refs", "main")).ShouldBeFalse();
    }

    [Fact]
    public void A_storage_host_that_keeps_failing_is_retried_with_backoff_then_reported_naming_the_file_and_the_reason()
    {
        // Arrange
        Hub.LfsUnavailable = true;

        // Act
        var error = Fails(ErrorKind.Environment, () => Download());

        // Assert
        error.Message.ShouldContain($"Downloading '{Weights}' of '{RepoId}' failed after 3 attempts");
        error.Message.ShouldContain("HTTP 503");
        WeightRequests().Count.ShouldBe(3);
        File.Exists(Path.Combine(RepoFolder, "snapshots", Commit, Weights)).ShouldBeFalse();
    }

    [Fact]
    public void A_connection_dropped_then_fixed_by_running_again_resumes_instead_of_starting_over()
    {
        // Arrange: no retries, so the first run fails with the partial bytes kept.
        Hub.DropOnce(Weights, afterBytes: 60_000);
        var error = Fails(ErrorKind.Environment, () => Download(options: Options with { Retries = 0 }));

        // Act
        var snapshot = Download();

        // Assert
        error.Message.ShouldContain(Weights);
        error.Message.ShouldContain("run the command again to resume");
        WeightRequests()[1].Range.ShouldNotBeNull();
        File.ReadAllBytes(Path.Combine(snapshot.Directory, Weights)).ShouldBe(WeightBytes);
    }

    [Fact]
    public async Task Two_concurrent_downloads_of_the_same_model_fetch_each_file_once_and_both_see_it_complete()
    {
        // Arrange: slow enough that the two downloads overlap.
        Hub.Throttle = TimeSpan.FromMilliseconds(20);

        // Act
        var both = await Task.WhenAll(Task.Run(() => Download()), Task.Run(() => Download()));

        // Assert
        both[0].Directory.ShouldBe(both[1].Directory);
        foreach (var file in HubModels.SingleFetched)
            File.ReadAllBytes(Path.Combine(both[0].Directory, file)).ShouldBe(HubModels.Single[file]);
        WeightRequests().Count.ShouldBe(1);
        Hub.FileDownloads.Count.ShouldBe(HubModels.SingleFetched.Length);
        both.SelectMany(s => s.Downloaded).Order().ShouldBe(HubModels.SingleFetched.Order());
        Directory.GetFiles(Path.Combine(RepoFolder, "blobs")).ShouldAllBe(path => !path.EndsWith(".incomplete"));
    }
}
