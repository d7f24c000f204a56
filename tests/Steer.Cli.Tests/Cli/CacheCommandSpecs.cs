using System.Text.Json;
using Steer.Hooks;
using Steer.IO;
using Steer.Tests.IO;

namespace Steer.Tests.Cli;

/// <summary>steer cache writes the library's activations at named hook points as float32 safetensors, [1, pos, ...].</summary>
public sealed class CacheCommandSpecs(CliModelFixture fixture) : IClassFixture<CliModelFixture>, IDisposable
{
    private const string Prompt = "I hate you because";
    private static readonly int[] PromptIds = [50256, 40, 5465, 345, 780];
    private readonly TempDirectory _directory = new();
    private LanguageModel Model => fixture.Model;

    private string ActsPath => _directory.File("acts.safetensors");

    private CliResult Cache(params string[] args) =>
        Cli.Run(["cache", "--model", fixture.Directory, "--prompt", Prompt, "--out", ActsPath, .. args]);

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Cache_writes_the_library_activations_bit_for_bit()
    {
        // Arrange
        string[] names = [HookNames.Embed, HookNames.ResidPre(1), HookNames.Pattern(0), HookNames.AttnScores(1), HookNames.MlpPost(1), HookNames.Q(0)];
        var ids = Model.Tokenizer.Encode(Prompt);
        var (logits, full) = Model.RunWithCache(ids, names);
        using var _ = logits;
        using var __ = full;
        using var read = Model.ReadActivations(ids, names);

        // Act
        var result = Cache([.. names.SelectMany(n => new[] { "--hook", n })]);

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        using var file = SafetensorsFile.Open(ActsPath);
        file.Entries.Select(e => e.Name).ShouldBe(names, ignoreOrder: true);
        foreach (var name in names)
        {
            using var written = file.Read(file.Find(name)!);
            written.ShouldBeBitIdenticalTo(read[name]);
            written.ShouldBeBitIdenticalTo(full[name]);
        }
    }

    [Fact]
    public void Tensors_are_float32_in_the_order_given_with_the_batch_dimension_kept()
    {
        // Act
        var result = Cache("--hook", "blocks.1.hook_resid_pre", "--hook", "blocks.0.attn.hook_pattern", "--hook", "blocks.0.attn.hook_z", "--hook", "hook_embed");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        using var file = SafetensorsFile.Open(ActsPath);
        file.Entries.Select(e => e.Name).ShouldBe(["blocks.1.hook_resid_pre", "blocks.0.attn.hook_pattern", "blocks.0.attn.hook_z", "hook_embed"]);
        file.Entries.ShouldAllBe(e => e.DType == SafetensorsDType.F32);
        file.Find("blocks.1.hook_resid_pre")!.Shape.ShouldBe([1L, 5, 64]);      // [batch, pos, d_model]
        file.Find("blocks.0.attn.hook_pattern")!.Shape.ShouldBe([1L, 4, 5, 5]); // [batch, head, query, key]
        file.Find("blocks.0.attn.hook_z")!.Shape.ShouldBe([1L, 5, 4, 16]);     // [batch, pos, head, d_head]
        file.Find("hook_embed")!.Shape.ShouldBe([1L, 5, 64]);
    }

    [Fact]
    public void Header_metadata_has_the_format_the_model_and_the_ids()
    {
        // Act
        var result = Cache("--hook", "hook_embed");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        using var file = SafetensorsFile.Open(ActsPath);
        file.Metadata["format"].ShouldBe("pt");
        file.Metadata["model"].ShouldBe(Model.Name);
        JsonSerializer.Deserialize<int[]>(file.Metadata["ids"]).ShouldBe(PromptIds);
    }

    [Fact]
    public void Literal_ids_without_bos_are_run_and_recorded_as_given()
    {
        // Arrange
        int[] ids = [40, 5465, 345];
        var (logits, cache) = Model.RunWithCache(ids, [HookNames.ResidPost(0)]);
        using var _ = logits;
        using var __ = cache;

        // Act
        var result = Cli.Run("cache", "--model", fixture.Directory, "--ids", "40,5465,345", "--hook", "blocks.0.hook_resid_post", "--out", ActsPath);

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        using var file = SafetensorsFile.Open(ActsPath);
        JsonSerializer.Deserialize<int[]>(file.Metadata["ids"]).ShouldBe(ids);
        using var written = file.Read(file.Find("blocks.0.hook_resid_post")!);
        written.ShouldBeBitIdenticalTo(cache[HookNames.ResidPost(0)]);
    }

    [Fact]
    public void An_alias_is_written_under_its_canonical_name_and_a_repeated_hook_once()
    {
        // Act
        var result = Cache("--hook", "blocks.1.hook_in", "--hook", "blocks.1.hook_resid_pre", "--hook", "blocks.0.hook_out", "--hook", "blocks.0.hook_out");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        using var file = SafetensorsFile.Open(ActsPath);
        file.Entries.Select(e => e.Name).ShouldBe(["blocks.1.hook_resid_pre", "blocks.0.hook_resid_post"]);
        using var cache = Model.ReadActivations(PromptIds, [HookNames.ResidPost(0)]);
        using var written = file.Read(file.Find("blocks.0.hook_resid_post")!);
        written.ShouldBeBitIdenticalTo(cache[HookNames.ResidPost(0)]);
    }

    [Fact]
    public void Hook_all_writes_every_hook_point()
    {
        // Act
        var result = Cache("--hook", "all");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        using var file = SafetensorsFile.Open(ActsPath);
        file.Entries.Select(e => e.Name).ShouldBe(Model.HookPoints);
    }

    [Fact]
    public void Text_output_is_one_line_per_tensor_and_the_path_within_80_columns()
    {
        // Act
        var result = Cache("--hook", "blocks.1.hook_resid_pre", "--hook", "blocks.0.attn.hook_pattern");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var lines = result.Output.TrimEnd('\n').Split('\n');
        lines.Length.ShouldBe(4);
        lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries).ShouldBe(["name", "shape", "dtype"]);
        lines[1].ShouldBe("blocks.1.hook_resid_pre     [1, 5, 64]    float32");
        lines[2].ShouldBe("blocks.0.attn.hook_pattern  [1, 4, 5, 5]  float32");
        lines[3].ShouldBe($"wrote {ActsPath} (2 tensors, 5 tokens)");
        lines[..3].ShouldAllBe(line => line.Length <= 80);
    }

    [Fact]
    public void Json_gives_the_path_the_model_the_ids_and_each_tensor()
    {
        // Act
        var result = Cache("--hook", "blocks.0.attn.hook_pattern", "--hook", "hook_embed", "--json");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var json = result.Json();
        json.GetProperty("out").GetString().ShouldBe(ActsPath);
        json.GetProperty("model").GetString().ShouldBe(Model.Name);
        json.GetProperty("ids").Ints().ShouldBe(PromptIds);
        var tensors = json.GetProperty("tensors").EnumerateArray().ToList();
        tensors.Select(t => t.GetProperty("name").GetString()).ShouldBe(["blocks.0.attn.hook_pattern", "hook_embed"]);
        tensors[0].GetProperty("shape").Ints().ShouldBe([1, 4, 5, 5]);
        tensors[1].GetProperty("shape").Ints().ShouldBe([1, 5, 64]);
        tensors.ShouldAllBe(t => t.GetProperty("dtype").GetString() == "float32");
    }

    [Fact]
    public void A_missing_parent_directory_is_created()
    {
        // Arrange
        var path = _directory.File(Path.Combine("runs", "1", "acts.safetensors"));

        // Act
        var result = Cli.Run("cache", "--model", fixture.Directory, "--prompt", Prompt, "--hook", "hook_embed", "--out", path);

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        File.Exists(path).ShouldBeTrue();
    }

    [Fact]
    public void An_unknown_hook_is_the_registry_error_and_writes_nothing()
    {
        // Arrange
        var path = _directory.File(Path.Combine("new", "acts.safetensors"));

        // Act
        var result = Cli.Run("cache", "--model", fixture.Directory, "--prompt", Prompt, "--hook", "hook_embed", "--hook", "blocks.7.hook_resid_pre", "--out", path);

        // Assert
        result.ShouldFailWith(2, "unknown hook point 'blocks.7.hook_resid_pre'", "Valid names are hook_embed");
        Directory.Exists(Path.GetDirectoryName(path)).ShouldBeFalse();
    }

    [Fact]
    public void A_directory_at_out_is_refused_before_the_model_loads()
    {
        // Act: the model does not exist, so only a check before loading it can give this error.
        var result = Cli.Run("cache", "--model", _directory.File("no-model"), "--prompt", Prompt, "--hook", "hook_embed", "--out", _directory.Path);

        // Assert
        result.ShouldFailWith(2, $"--out '{_directory.Path}' is a directory");
        result.Error.TrimEnd('\n').Split('\n').Length.ShouldBe(1);
    }

    [Fact]
    public void An_out_under_a_file_is_refused_before_the_model_loads()
    {
        // Arrange
        var file = _directory.Write("notes.txt", "not a directory");
        var path = Path.Combine(file, "acts.safetensors");

        // Act
        var result = Cli.Run("cache", "--model", _directory.File("no-model"), "--prompt", Prompt, "--hook", "hook_embed", "--out", path);

        // Assert
        result.ShouldFailWith(2, $"--out '{path}' cannot be written: '{file}' is a file, not a directory");
        result.Error.TrimEnd('\n').Split('\n').Length.ShouldBe(1);
    }

    [Fact]
    public void A_prompt_longer_than_the_context_is_a_clear_error_and_writes_nothing()
    {
        // Arrange
        var ids = string.Join(",", Enumerable.Repeat(40, CliModelFixture.Config.ContextLength + 1));

        // Act
        var result = Cli.Run("cache", "--model", fixture.Directory, "--ids", ids, "--hook", "hook_embed", "--out", ActsPath);

        // Assert
        result.ShouldFailWith(2, "the input has 65 tokens but the model's context is 64 tokens");
        File.Exists(ActsPath).ShouldBeFalse();
    }

    [Fact]
    public void Hook_is_required()
    {
        // Act
        var result = Cli.Run("cache", "--model", fixture.Directory, "--prompt", Prompt, "--out", ActsPath);

        // Assert
        result.ShouldFailWith(2, "--hook");
        File.Exists(ActsPath).ShouldBeFalse();
    }
}
