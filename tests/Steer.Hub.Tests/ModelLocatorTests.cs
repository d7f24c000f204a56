using Steer.Hub;
using Steer.IO;

namespace Steer.Tests.IO;

[Collection("Environment")]
public class ModelLocatorTests
{
    private const string Commit = "0123456789abcdef0123456789abcdef01234567";
    private static readonly string[] CacheVariables = ["HF_HUB_CACHE", "HF_HOME", "XDG_CACHE_HOME", "HOME", "HF_HUB_OFFLINE"];

    /// <summary>
    /// Runs <paramref name="body"/> with the Hugging Face variables set as given (null unsets), restoring them after.
    /// Offline mode is on unless given, so that these cache lookups never try the network (HubDownloaderTests do that).
    /// </summary>
    private static void WithEnvironment(Dictionary<string, string?> values, Action body)
    {
        var saved = CacheVariables.ToDictionary(v => v, Environment.GetEnvironmentVariable);
        try
        {
            foreach (var variable in CacheVariables.Where(v => v != "HOME"))
                Environment.SetEnvironmentVariable(variable, null);
            Environment.SetEnvironmentVariable("HF_HUB_OFFLINE", "1");
            foreach (var (variable, value) in values)
                Environment.SetEnvironmentVariable(variable, value);
            body();
        }
        finally
        {
            foreach (var (variable, value) in saved)
                Environment.SetEnvironmentVariable(variable, value);
        }
    }

    /// <summary>Lays out a cached snapshot the way huggingface_hub does and returns the snapshot directory.</summary>
    private static string CacheModel(string root, string folder, string? refName = "main", params string[] files)
    {
        var repo = Path.Combine(root, folder);
        var snapshot = Path.Combine(repo, "snapshots", Commit);
        Directory.CreateDirectory(snapshot);
        if (refName is not null)
        {
            Directory.CreateDirectory(Path.Combine(repo, "refs"));
            File.WriteAllText(Path.Combine(repo, "refs", refName), Commit);
        }
        foreach (var file in files.Length == 0 ? ["config.json", "model.safetensors"] : files)
            File.WriteAllText(Path.Combine(snapshot, file), "{}");
        return snapshot;
    }

    private static SteerException Fails(ErrorKind kind, Func<object> resolve)
    {
        var error = Should.Throw<SteerException>(resolve);
        error.Kind.ShouldBe(kind);
        return error;
    }

    [Fact]
    public void A_local_directory_with_config_and_model_safetensors_resolves_to_them()
    {
        using var dir = new TempDirectory();
        var config = dir.Write("config.json", "{}");
        var weights = dir.Write("model.safetensors");

        var files = ModelLocator.Resolve(dir.Path);

        files.ShouldBe(new ModelFiles(dir.Path, config, files.WeightFiles, dir.Path));
        files.WeightFiles.ShouldBe([weights]);
    }

    [Fact]
    public void A_sharded_directory_lists_the_distinct_shards_of_the_index_in_order()
    {
        using var dir = new TempDirectory();
        dir.Write("config.json", "{}");
        var second = dir.Write("model-00002-of-00002.safetensors");
        var first = dir.Write("model-00001-of-00002.safetensors");
        dir.Write("model.safetensors.index.json", """
            {"metadata": {"total_size": 8}, "weight_map": {
              "wte.weight": "model-00001-of-00002.safetensors",
              "h.0.attn.c_attn.weight": "model-00002-of-00002.safetensors",
              "wpe.weight": "model-00001-of-00002.safetensors"}}
            """);

        ModelLocator.Resolve(dir.Path).WeightFiles.ShouldBe([first, second]);
    }

    [Fact]
    public void A_missing_shard_is_an_invalid_model_naming_the_shard()
    {
        using var dir = new TempDirectory();
        dir.Write("config.json", "{}");
        dir.Write("model-00001-of-00002.safetensors");
        dir.Write("model.safetensors.index.json",
            """{"weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}""");

        Fails(ErrorKind.InvalidModel, () => ModelLocator.Resolve(dir.Path)).Message.ShouldContain("model-00002-of-00002.safetensors");
    }

    [Fact]
    public void A_shard_index_pointing_outside_the_directory_is_refused()
    {
        using var dir = new TempDirectory();
        dir.Write("config.json", "{}");
        dir.Write("model.safetensors.index.json", """{"weight_map": {"a": "../elsewhere.safetensors"}}""");

        Fails(ErrorKind.InvalidModel, () => ModelLocator.Resolve(dir.Path)).Message.ShouldContain("not a file name");
    }

    [Fact]
    public void A_directory_without_config_json_is_not_found_naming_it()
    {
        using var dir = new TempDirectory();
        dir.Write("model.safetensors");

        Fails(ErrorKind.NotFound, () => ModelLocator.Resolve(dir.Path)).Message.ShouldContain("config.json");
    }

    [Fact]
    public void A_directory_without_weights_is_not_found()
    {
        using var dir = new TempDirectory();
        dir.Write("config.json", "{}");

        Fails(ErrorKind.NotFound, () => ModelLocator.Resolve(dir.Path)).Message.ShouldContain("model.safetensors");
    }

    [Fact]
    public void A_safetensors_file_next_to_a_config_resolves_to_that_file()
    {
        using var dir = new TempDirectory();
        var config = dir.Write("config.json", "{}");
        var weights = dir.Write("custom.safetensors");

        var files = ModelLocator.Resolve(weights);

        files.ConfigPath.ShouldBe(config);
        files.WeightFiles.ShouldBe([weights]);
        files.DisplayName.ShouldBe(dir.Path);
    }

    [Theory]
    [InlineData("pytorch_model.bin")]
    [InlineData("model.pt")]
    [InlineData("model.ckpt")]
    [InlineData("model.PTH")]
    public void A_pickle_checkpoint_file_is_refused_with_advice_to_convert_to_safetensors(string name)
    {
        using var dir = new TempDirectory();
        dir.Write("config.json", "{}");
        var pickle = dir.Write(name);

        var message = Fails(ErrorKind.InvalidModel, () => ModelLocator.Resolve(pickle)).Message;
        message.ShouldContain("safetensors");
        message.ShouldContain("arbitrary code");
        message.ShouldContain("safe_serialization=True");
    }

    [Fact]
    public void A_directory_holding_only_a_pickle_checkpoint_is_refused_with_advice_to_convert_to_safetensors()
    {
        using var dir = new TempDirectory();
        dir.Write("config.json", "{}");
        dir.Write("pytorch_model.bin");

        var message = Fails(ErrorKind.InvalidModel, () => ModelLocator.Resolve(dir.Path)).Message;
        message.ShouldContain("pytorch_model.bin");
        message.ShouldContain("safetensors");
    }

    [Fact]
    public void A_directory_with_both_safetensors_and_a_pickle_uses_the_safetensors()
    {
        using var dir = new TempDirectory();
        dir.Write("config.json", "{}");
        dir.Write("pytorch_model.bin");
        var weights = dir.Write("model.safetensors");

        ModelLocator.Resolve(dir.Path).WeightFiles.ShouldBe([weights]);
    }

    [Fact]
    public void A_hub_id_resolves_through_HF_HUB_CACHE_with_the_gpt2_short_name_mapped()
    {
        using var cache = new TempDirectory();
        var snapshot = CacheModel(cache.Path, "models--openai-community--gpt2");

        WithEnvironment(new() { ["HF_HUB_CACHE"] = cache.Path, ["HF_HOME"] = "/nonexistent" }, () =>
        {
            var files = ModelLocator.Resolve("gpt2");
            files.Directory.ShouldBe(snapshot);
            files.DisplayName.ShouldBe("openai-community/gpt2");
            files.WeightFiles.ShouldBe([Path.Combine(snapshot, "model.safetensors")]);
        });
    }

    [Fact]
    public void A_hub_id_resolves_through_HF_HOME_when_HF_HUB_CACHE_is_unset()
    {
        using var home = new TempDirectory();
        var snapshot = CacheModel(Path.Combine(home.Path, "hub"), "models--my-org--tiny.model");

        WithEnvironment(new() { ["HF_HOME"] = home.Path }, () =>
        {
            HubCache.Root().ShouldBe(Path.Combine(home.Path, "hub"));
            ModelLocator.Resolve("my-org/tiny.model").Directory.ShouldBe(snapshot);
        });
    }

    [Fact]
    public void The_default_cache_root_follows_XDG_CACHE_HOME_then_the_home_directory()
    {
        WithEnvironment(new() { ["HOME"] = "/home/someone", ["XDG_CACHE_HOME"] = "/var/cache/someone" }, () =>
            HubCache.Root().ShouldBe("/var/cache/someone/huggingface/hub"));
        WithEnvironment(new() { ["HOME"] = "/home/someone" }, () =>
            HubCache.Root().ShouldBe("/home/someone/.cache/huggingface/hub"));
        WithEnvironment(new() { ["HOME"] = "/home/someone", ["HF_HOME"] = "~/hf" }, () =>
            HubCache.Root().ShouldBe("/home/someone/hf/hub"));
    }

    [Fact]
    public void A_gpt2_download_cached_under_its_legacy_name_is_found()
    {
        using var cache = new TempDirectory();
        var snapshot = CacheModel(cache.Path, "models--gpt2");

        WithEnvironment(new() { ["HF_HUB_CACHE"] = cache.Path }, () =>
            ModelLocator.Resolve("gpt2").Directory.ShouldBe(snapshot));
    }

    [Fact]
    public void A_revision_is_looked_up_in_refs_or_used_directly_when_it_is_a_commit_hash()
    {
        using var cache = new TempDirectory();
        var snapshot = CacheModel(cache.Path, "models--org--m", refName: "v1.0");

        WithEnvironment(new() { ["HF_HUB_CACHE"] = cache.Path }, () =>
        {
            HubCache.FindSnapshot("org/m", "v1.0").ShouldBe(snapshot);
            HubCache.FindSnapshot("org/m", Commit).ShouldBe(snapshot);
            HubCache.FindSnapshot("org/m", "main").ShouldBeNull();
            HubCache.FindSnapshot("org/other", "v1.0").ShouldBeNull();
            Fails(ErrorKind.InvalidArgument, () => HubCache.FindSnapshot("org/m", "../../etc")!);
        });
    }

    [Theory]
    [InlineData("gpt2", "openai-community/gpt2")]
    [InlineData("gpt2-medium", "openai-community/gpt2-medium")]
    [InlineData("gpt2-large", "openai-community/gpt2-large")]
    [InlineData("gpt2-xl", "openai-community/gpt2-xl")]
    [InlineData("distilgpt2", "openai-community/distilgpt2")]
    [InlineData("EleutherAI/gpt-neo-125m", "EleutherAI/gpt-neo-125m")]
    [InlineData("gpt2-small", "gpt2-small")]
    public void Legacy_gpt2_short_names_map_to_openai_community(string id, string expected)
    {
        HubCache.CanonicalId(id).ShouldBe(expected);
    }

    [Fact]
    public void A_hub_id_absent_from_the_cache_in_offline_mode_is_not_found_and_says_where_it_looked()
    {
        using var cache = new TempDirectory();

        WithEnvironment(new() { ["HF_HUB_CACHE"] = cache.Path }, () =>
        {
            var message = Fails(ErrorKind.NotFound, () => ModelLocator.Resolve("gpt2-xl")).Message;
            message.ShouldContain("openai-community/gpt2-xl");
            message.ShouldContain("not in the local Hugging Face cache");
            message.ShouldContain(cache.Path);
            message.ShouldContain("offline mode is on (HF_HUB_OFFLINE=1)");
            message.ShouldContain("config.json");
        });
    }

    [Theory]
    [InlineData("a/b/c")]
    [InlineData("has space")]
    [InlineData("org/")]
    [InlineData("-leading-dash")]
    [InlineData("org--name")]
    [InlineData("  ")]
    public void A_malformed_model_id_is_an_invalid_argument(string model)
    {
        Fails(ErrorKind.InvalidArgument, () => ModelLocator.Resolve(model));
    }

    [Fact]
    public void A_missing_path_is_not_found_rather_than_a_bad_id()
    {
        Fails(ErrorKind.NotFound, () => ModelLocator.Resolve("/nonexistent/steer/model")).Message.ShouldContain("/nonexistent/steer/model");
    }
}
