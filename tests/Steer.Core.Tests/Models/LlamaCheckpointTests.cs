using System.Text.Json;
using Steer.Architectures;
using Steer.IO;
using Steer.Models;
using Steer.Models.Llama;
using Steer.Tests.IO;
using static TorchSharp.torch;

namespace Steer.Tests.Models;

/// <summary>
/// Llama-family checkpoints as real files hold them: tied matrices under either name, buffers to skip, F16/BF16
/// storage, and configs with each family's defaults; anything else missing or unexpected is named.
/// </summary>
public sealed class LlamaCheckpointTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private static JsonElement Golden(string file)
    {
        using var doc = TestData.Json(file);
        return doc.RootElement.GetProperty("model").Clone();
    }

    /// <summary>The golden model's tensors under the names <paramref name="rename"/> gives (null drops one), plus extras.</summary>
    private void WriteRenamed(string goldenFile, Func<string, string[]> rename, params (string Name, long[] Shape)[] extras)
    {
        var model = Golden(goldenFile);
        var config = GoldenModels.AnyConfigOf(model);
        var architecture = ModelRegistry.For(config);
        var seed = GoldenModels.SeedOf(model);
        var tensors = architecture.Layout(config)
            .SelectMany(s => rename(s.Key).Select(stored => (stored, FormulaWeights.Create(seed, s.Key, s.Value, architecture.FormulaDistribution(config, s.Key)))))
            .Concat(extras.Select(e => (e.Name, zeros(e.Shape))))
            .ToList();
        SafetensorsWriter.Write(Path.Combine(_directory.Path, "model.safetensors"), tensors);
        foreach (var (_, t) in tensors) t.Dispose();
        File.WriteAllText(Path.Combine(_directory.Path, "config.json"), model.GetProperty("config").GetRawText());
    }

    private static float[] LastLogits(LanguageModel model)
    {
        using var logits = model.Logits([1, 20, 30, 40]);
        return logits[-1].data<float>().ToArray();
    }

    [Theory]
    [InlineData("embed")]
    [InlineData("lm_head")]
    [InlineData("both")]
    public void A_tied_checkpoint_loads_whichever_name_holds_the_shared_matrix(string storage)
    {
        // Arrange: qwen3-q3 is tied; its formula writes only model.embed_tokens.weight.
        WriteRenamed("qwen3-q3.json", name => name != LlamaLayout.Embedding ? [name] : storage switch
        {
            "embed" => [name],
            "lm_head" => [LlamaLayout.LmHead],
            _ => [name, LlamaLayout.LmHead],
        });
        using var reference = GoldenModels.Load("qwen3-q3.json");

        // Act
        using var model = LanguageModel.Load(_directory.Path);

        // Assert
        model.Parameters.Select(p => p.Name).ShouldNotContain(LlamaLayout.LmHead);
        LastLogits(model).ShouldBe(LastLogits(reference));
    }

    [Fact]
    public void Rotary_inverse_frequency_buffers_are_skipped()
    {
        // Arrange
        WriteRenamed("llama-l1.json", name => [name], ("model.layers.0.self_attn.rotary_emb.inv_freq", [8]), ("model.rotary_emb.inv_freq", [8]));

        // Act
        using var model = LanguageModel.Load(_directory.Path);

        // Assert
        model.Parameters.ShouldNotContain(p => p.Name.Contains("inv_freq"));
    }

    [Fact]
    public void An_untied_checkpoint_without_lm_head_names_it_as_missing()
    {
        WriteRenamed("llama-l1.json", name => name == LlamaLayout.LmHead ? [] : [name]);

        var error = Should.Throw<SteerException>(() => LanguageModel.Load(_directory.Path));

        error.Kind.ShouldBe(ErrorKind.InvalidModel);
        error.Message.ShouldContain("missing tensor 'lm_head.weight'");
    }

    [Fact]
    public void A_tensor_the_config_does_not_imply_is_named_as_unexpected()
    {
        // llama-l1 has attention_bias false, so a q_proj bias is not part of the model.
        WriteRenamed("llama-l1.json", name => [name], ("model.layers.0.self_attn.q_proj.bias", [64]));

        var error = Should.Throw<SteerException>(() => LanguageModel.Load(_directory.Path));

        error.Message.ShouldContain("unexpected tensor 'model.layers.0.self_attn.q_proj.bias'");
    }

    [Fact]
    public void A_bfloat16_checkpoint_loads_in_bfloat16_by_default_and_in_float32_when_asked()
    {
        // Arrange: llama-l2's file is BF16 and its config says torch_dtype bfloat16.
        GoldenModels.Write(_directory.Path, Golden("llama-l2.json"));

        // Act
        using var byDefault = LanguageModel.Load(_directory.Path);
        using var float32 = LanguageModel.Load(_directory.Path, new ModelOptions { DType = "float32" });

        // Assert: bfloat16 arithmetic moves the logits a little, not the argmax.
        byDefault.DType.ShouldBe("bfloat16");
        float32.DType.ShouldBe("float32");
        var (a, b) = (LastLogits(byDefault), LastLogits(float32));
        a.Zip(b, (x, y) => Math.Abs(x - y)).Max().ShouldBeLessThan(0.25f);
        Array.IndexOf(a, a.Max()).ShouldBe(Array.IndexOf(b, b.Max()));
    }

    public static TheoryData<string, string> BadConfigs => new()
    {
        { """{"model_type":"llama","num_hidden_layers":"two"}""", "num_hidden_layers must be a whole number, got \"two\"" },
        { """{"model_type":"llama","rope_scaling":{"rope_type":"yarn","factor":4}}""", "rope type 'yarn' is not supported; supported: default, linear, llama3" },
        { """{"model_type":"llama","hidden_act":"gelu"}""", "hidden_act 'gelu' is not supported" },
        { """{"model_type":"llama","num_attention_heads":6,"num_key_value_heads":4}""", "num_key_value_heads (4) must be positive and divide num_attention_heads (6)" },
        { """{"model_type":"mistral","sliding_window":0}""", "sliding_window must be positive or null, got 0" },
        { """{"model_type":"qwen2","use_sliding_window":true,"layer_types":["full_attention","chunked"],"num_hidden_layers":2}""", "layer_types holds 'chunked'" },
        { """{"model_type":"gemma"}""", "model_type 'gemma' is not supported; supported: gpt2, llama, mistral, qwen2, qwen3" },
    };

    [Theory]
    [MemberData(nameof(BadConfigs))]
    public void A_bad_config_is_refused_with_what_is_wrong_in_words(string json, string message)
    {
        var path = Path.Combine(_directory.Path, "config.json");
        File.WriteAllText(path, json);

        var error = Should.Throw<SteerException>(() => ModelRegistry.Read(path));

        error.Kind.ShouldBe(ErrorKind.InvalidModel);
        error.Message.ShouldContain(message);
    }

    [Fact]
    public void Each_family_applies_its_own_defaults()
    {
        LlamaConfig Read(string json)
        {
            var path = Path.Combine(_directory.Path, "config.json");
            File.WriteAllText(path, json);
            return (LlamaConfig)ModelRegistry.Read(path).Config;
        }
        const string shape = "\"hidden_size\":64,\"num_attention_heads\":4,\"num_hidden_layers\":3";

        var llama = Read($$"""{"model_type":"llama",{{shape}},"attention_bias":true}""");
        var mistral = Read($$"""{"model_type":"mistral",{{shape}}}""");
        var mistralOff = Read($$"""{"model_type":"mistral",{{shape}},"sliding_window":null}""");
        var qwen2 = Read($$"""{"model_type":"qwen2",{{shape}},"use_sliding_window":true,"sliding_window":8,"max_window_layers":1}""");
        var qwen2Off = Read($$"""{"model_type":"qwen2",{{shape}},"sliding_window":8,"max_window_layers":1}""");
        var qwen3 = Read($$"""{"model_type":"qwen3",{{shape}}}""");

        (llama.QkvBias, llama.OutputBias, llama.MlpBias, llama.HeadDim, llama.KvHeads, llama.WindowOf(0)).ShouldBe((true, true, false, 16, 4, null));
        (mistral.QkvBias, mistral.SlidingWindow, mistral.WindowOf(2)).ShouldBe((false, 4096, 4096));
        mistralOff.WindowOf(0).ShouldBeNull();
        (qwen2.QkvBias, qwen2.OutputBias, qwen2.WindowOf(0), qwen2.WindowOf(1), qwen2.WindowOf(2)).ShouldBe((true, false, null, 8, 8));
        qwen2Off.WindowOf(2).ShouldBeNull();
        (qwen3.QkNorm, qwen3.HeadDim, qwen3.QkvBias).ShouldBe((true, 128, false));
    }

    [Theory]
    [InlineData("llama-l1.json")]
    [InlineData("llama-l2.json")]
    [InlineData("mistral-m1.json")]
    [InlineData("qwen2-q1.json")]
    [InlineData("qwen3-q3.json")]
    public void The_config_json_steer_writes_reads_back_as_the_same_config(string goldenFile)
    {
        var config = GoldenModels.AnyConfigOf(Golden(goldenFile));
        var path = Path.Combine(_directory.Path, "config.json");
        File.WriteAllText(path, ModelRegistry.For(config).FormulaConfigJson(config, "float32"));

        var read = (LlamaConfig)ModelRegistry.Read(path).Config;

        read.ShouldBe((LlamaConfig)config with { TorchDType = "float32" });
    }

    [Fact]
    public void Generation_stops_at_generation_config_eos_ids_as_well_as_config_json_ones()
    {
        // Arrange: llama-l1's greedy continuation of this prompt starts with 192 (its golden greedy case).
        GoldenModels.Write(_directory.Path, Golden("llama-l1.json"));
        File.WriteAllText(Path.Combine(_directory.Path, "generation_config.json"), """{"bos_token_id": 1, "eos_token_id": [2, 192]}""");
        int[] prompt = [1, 294, 393, 186, 374, 135, 114, 77];
        var options = new Steer.Generation.GenerationOptions { MaxNewTokens = 5, Sampling = Steer.Generation.SamplingOptions.Greedy };

        // Act
        using var model = LanguageModel.Load(_directory.Path);
        var completion = model.Generate([prompt], options).Completions.Single();

        // Assert
        model.StopIds.ShouldBe([2, 192]);
        completion.ShouldBe([192]);
    }

    [Fact]
    public void A_sharded_checkpoint_loads_as_the_single_file_does()
    {
        // Arrange: the golden model's tensors split over two shards with an index, as save_pretrained writes them.
        var model = Golden("llama-l1.json");
        var config = GoldenModels.AnyConfigOf(model);
        var architecture = ModelRegistry.For(config);
        var layout = architecture.Layout(config).ToList();
        var weightMap = new Dictionary<string, string>();
        for (var shard = 0; shard < 2; shard++)
        {
            var file = $"model-0000{shard + 1}-of-00002.safetensors";
            var tensors = layout.Where((_, i) => i % 2 == shard)
                .Select(s => (s.Key, FormulaWeights.Create(GoldenModels.SeedOf(model), s.Key, s.Value, architecture.FormulaDistribution(config, s.Key))))
                .ToList();
            SafetensorsWriter.Write(Path.Combine(_directory.Path, file), tensors);
            foreach (var (name, t) in tensors)
            {
                weightMap[name] = file;
                t.Dispose();
            }
        }
        File.WriteAllText(Path.Combine(_directory.Path, "model.safetensors.index.json"),
            JsonSerializer.Serialize(new { metadata = new { total_size = 0 }, weight_map = weightMap }));
        File.WriteAllText(Path.Combine(_directory.Path, "config.json"), model.GetProperty("config").GetRawText());
        using var reference = GoldenModels.Load("llama-l1.json");

        // Act
        using var sharded = LanguageModel.Load(_directory.Path);

        // Assert
        LastLogits(sharded).ShouldBe(LastLogits(reference));
    }
}
