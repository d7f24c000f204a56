using Steer.Hub;
using Steer.IO;

namespace Steer.Tests.Hub;

/// <summary>Downloading into the Hugging Face cache layout, and reusing what is there.</summary>
public sealed class HubDownloadTests : HubTestBase
{
    [Fact]
    public void The_first_download_fetches_config_weights_and_tokenizer_files_into_the_standard_cache_layout()
    {
        // Act
        var snapshot = Download();

        // Assert
        snapshot.RepoId.ShouldBe(RepoId);
        snapshot.Commit.ShouldBe(Commit);
        snapshot.Directory.ShouldBe(Path.Combine(RepoFolder, "snapshots", Commit));
        snapshot.Files.ShouldBe(HubModels.SingleFetched);
        snapshot.Downloaded.ShouldBe(HubModels.SingleFetched);
        File.ReadAllText(Path.Combine(RepoFolder, "refs", "main")).ShouldBe(Commit);
        foreach (var file in HubModels.SingleFetched)
        {
            var link = new FileInfo(Path.Combine(snapshot.Directory, file));
            link.LinkTarget.ShouldBe("../../blobs/" + Etag(file));
            File.ReadAllBytes(link.FullName).ShouldBe(HubModels.Single[file]);
        }
        Directory.GetFiles(Path.Combine(RepoFolder, "blobs")).Select(Path.GetFileName).Order()
            .ShouldBe(HubModels.SingleFetched.Select(Etag).Order());
        File.Exists(Path.Combine(Cache.Path, ".locks", "models--steer-tests--tiny", Etag("model.safetensors") + ".lock")).ShouldBeTrue();
    }

    [Fact]
    public void Only_the_files_steer_uses_are_requested_never_pickles_flax_weights_or_readmes()
    {
        // Act
        Download();

        // Assert
        var paths = Hub.Requests.Select(r => r.Path).ToList();
        paths.ShouldNotContain(p => p.Contains("pytorch_model.bin") || p.Contains("msgpack") || p.Contains("README"));
        Hub.FileDownloads.Count.ShouldBe(HubModels.SingleFetched.Length);
        Hub.Requests.ShouldContain(r => r.Method == "GET" && r.Path == $"/api/models/{RepoId}/revision/main");
        Hub.Requests.ShouldContain(r => r.Method == "HEAD" && r.Path == $"/{RepoId}/resolve/{Commit}/config.json");
    }

    [Fact]
    public void A_second_run_asks_the_hub_once_and_downloads_nothing()
    {
        // Arrange
        var first = Download();
        var before = Hub.Requests.Count;

        // Act
        var second = Download();

        // Assert
        second.Directory.ShouldBe(first.Directory);
        second.Files.ShouldBe(first.Files);
        second.Downloaded.ShouldBeEmpty();
        Hub.Requests.Skip(before).Select(r => r.Path).ShouldBe([$"/api/models/{RepoId}/revision/main"]);
    }

    [Fact]
    public void A_cached_commit_hash_revision_needs_no_network_at_all()
    {
        // Arrange
        Download();
        var before = Hub.Requests.Count;

        // Act
        var pinned = Download(revision: Commit);

        // Assert
        pinned.Commit.ShouldBe(Commit);
        Hub.Requests.Count.ShouldBe(before);
    }

    [Fact]
    public void A_model_downloaded_this_way_resolves_and_loads_like_a_local_directory()
    {
        // Act
        var files = ModelLocator.Resolve(RepoId, "main", Options);
        using var model = LanguageModel.Load(files);

        // Assert
        files.DisplayName.ShouldBe(RepoId);
        files.WeightFiles.ShouldBe([Path.Combine(RepoFolder, "snapshots", Commit, "model.safetensors")]);
        model.Name.ShouldBe(RepoId);
        model.Shape.Layers.ShouldBe(2);
    }

    [Fact]
    public void A_sharded_model_fetches_the_index_and_then_every_shard_it_names()
    {
        // Arrange
        Hub.AddRepo("steer-tests/sharded", HubModels.Sharded);

        // Act
        var snapshot = Download("steer-tests/sharded");
        var files = ModelLocator.Resolve("steer-tests/sharded", "main", Options);

        // Assert
        snapshot.Files.ShouldBe(["config.json", "model.safetensors.index.json", "tokenizer_config.json", "generation_config.json",
            "chat_template.jinja", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]);
        files.WeightFiles.Select(Path.GetFileName).ShouldBe(["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]);
    }

    [Fact]
    public void A_repository_with_only_pickle_weights_is_refused_before_anything_is_downloaded()
    {
        // Arrange
        Hub.AddRepo("steer-tests/pickled", HubModels.PickleOnly);

        // Act
        var error = Fails(ErrorKind.InvalidModel, () => Download("steer-tests/pickled"));

        // Assert
        error.Message.ShouldContain("pytorch_model.bin");
        error.Message.ShouldContain("arbitrary code");
        Hub.FileDownloads.ShouldBeEmpty();
    }

    [Fact]
    public void A_gpt2_short_name_downloads_openai_community_gpt2_and_reuses_a_python_download_under_the_legacy_name()
    {
        // Arrange: Python fetched "gpt2" at the same commit into models--gpt2.
        Hub.AddRepo("openai-community/gpt2", HubModels.Single);
        var legacy = Path.Combine(Cache.Path, "models--gpt2", "snapshots", FakeHub.CommitOf("openai-community/gpt2"));
        Directory.CreateDirectory(legacy);
        foreach (var file in HubModels.SingleFetched) File.WriteAllBytes(Path.Combine(legacy, file), HubModels.Single[file]);

        // Act
        var snapshot = Download("gpt2");

        // Assert
        snapshot.RepoId.ShouldBe("openai-community/gpt2");
        snapshot.Directory.ShouldBe(legacy);
        Hub.Requests.Select(r => r.Path).ShouldBe(["/api/models/openai-community/gpt2/revision/main"]);
    }

    [Fact]
    public void A_renamed_repository_is_followed_through_same_host_redirects_and_cached_under_the_name_given()
    {
        // Arrange
        Hub.AddRepo("steer-tests/new-name", HubModels.Single, alias: "steer-tests/old-name");

        // Act
        var snapshot = Download("steer-tests/old-name");

        // Assert
        snapshot.Directory.ShouldStartWith(Path.Combine(Cache.Path, "models--steer-tests--old-name"));
        File.ReadAllBytes(Path.Combine(snapshot.Directory, "model.safetensors")).ShouldBe(HubModels.Single["model.safetensors"]);
        Hub.Requests.ShouldContain(r => r.Method == "HEAD" && r.Path.StartsWith("/steer-tests/new-name/resolve/"));
    }

    [Fact]
    public void Progress_is_reported_for_each_downloaded_file_ending_with_its_full_size()
    {
        // Arrange
        var reports = new List<DownloadProgress>();
        Hub.Throttle = TimeSpan.FromMilliseconds(30);

        // Act
        Download(options: Options with { Progress = new Recorder(reports) });

        // Assert
        var finished = reports.Where(r => r.Finished).ToList();
        finished.Select(r => r.File).ShouldBe(HubModels.SingleFetched);
        finished.ShouldAllBe(r => r.BytesDone == r.TotalBytes && r.RepoId == RepoId);
        var weights = reports.Where(r => r.File == "model.safetensors").ToList();
        weights.Count.ShouldBeGreaterThan(1, "the throttled weights should report before they finish");
        weights.Select(r => r.BytesDone).ShouldBe(weights.Select(r => r.BytesDone).Order());
        weights.ShouldAllBe(r => r.TotalBytes == HubModels.Single["model.safetensors"].Length);
    }

    /// <summary>Records synchronously; Progress&lt;T&gt; would post to the thread pool and reorder reports.</summary>
    private sealed class Recorder(List<DownloadProgress> reports) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value)
        {
            lock (reports) reports.Add(value);
        }
    }
}
