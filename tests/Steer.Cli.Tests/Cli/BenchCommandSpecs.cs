using System.Text.Json;
using Steer.Diagnostics;
using Steer.Models.Gpt2;

namespace Steer.Tests.Cli;

/// <summary>Speeds depend on the machine, so only the shape of the report and its non-speed values are checked.</summary>
public sealed class BenchCommandSpecs
{
    /// <summary>One measured run shared by the JSON tests, since a run takes about a second.</summary>
    private static readonly Lazy<CliResult> TinyJson = new(() => Cli.Run("bench", "--shape", "tiny", "--json"));

    [Fact]
    public void Bench_json_reports_the_documented_keys_for_the_tiny_shape()
    {
        // Act
        var result = TinyJson.Value;

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var json = result.Json();
        json.EnumerateObject().Select(p => p.Name).ShouldBe(
            ["shape", "dtype", "load_s", "prompt_tokens_per_s", "decode_tokens_per_s", "peak_rss_bytes", "parameters", "threads", "weight_bytes",
             "decode_weight_bytes_per_s", "compare_step_ratio"]);
        json.GetProperty("shape").GetString().ShouldBe("tiny");
        json.GetProperty("dtype").GetString().ShouldBe("float32");
        json.GetProperty("load_s").GetDouble().ShouldBeGreaterThan(0);
        json.GetProperty("peak_rss_bytes").GetInt64().ShouldBeGreaterThan(0);
        json.GetProperty("parameters").GetInt64().ShouldBe(Gpt2Layout.Shapes(Gpt2Config.Tiny).Values.Sum(s => s.Aggregate(1L, (a, b) => a * b)));
        json.GetProperty("threads").GetInt32().ShouldBeGreaterThan(0);
        json.GetProperty("weight_bytes").GetInt64().ShouldBe(4 * json.GetProperty("parameters").GetInt64(), "float32 weights, 4 bytes each");
        double.IsFinite(json.GetProperty("compare_step_ratio").GetDouble()).ShouldBeTrue();
        json.GetProperty("compare_step_ratio").GetDouble().ShouldBeGreaterThan(0);
    }

    [Fact]
    public void Bench_int8_counts_the_blocks_a_decoding_step_reads()
    {
        // Act
        var result = Cli.Run("bench", "--shape", "tiny", "--dtype", "int8", "--json");

        // Assert: linear weights (every 2-D parameter but the embeddings) as one byte per value plus a float32 scale
        // per 32; the logits read the unembedding's Q8_0 copy instead of wte; everything else float32.
        result.ExitCode.ShouldBe(0, result.Error);
        var json = result.Json();
        json.GetProperty("dtype").GetString().ShouldBe("int8");
        var shapes = Gpt2Layout.Shapes(Gpt2Config.Tiny);
        long Count(long[] shape) => shape.Aggregate(1L, (a, b) => a * b);
        var expected = shapes.Sum(p => p.Key == "wte.weight" || (p.Value.Length == 2 && p.Key != "wpe.weight") ? Count(p.Value) * 9 / 8 : 4 * Count(p.Value));
        json.GetProperty("weight_bytes").GetInt64().ShouldBe(expected);
        var decode = json.GetProperty("decode_tokens_per_s").GetProperty("4").GetDouble();
        json.GetProperty("decode_weight_bytes_per_s").GetProperty("4").GetDouble().ShouldBe(expected * decode / 4, tolerance: 1e-6 * expected * decode);
    }

    [Fact]
    public void Bench_skips_prompt_lengths_that_do_not_fit_the_context_and_measures_every_decode_batch()
    {
        // Arrange: tiny has a context of 128, and a prompt pass needs its length plus one position.
        Gpt2Config.Tiny.ContextLength.ShouldBe(128);
        Benchmark.PromptLengths.ShouldBe([16, 64, 256]);

        // Act
        var json = TinyJson.Value.Json();

        // Assert
        Keys(json.GetProperty("prompt_tokens_per_s")).ShouldBe(["16", "64"]);
        Keys(json.GetProperty("decode_tokens_per_s")).ShouldBe(["1", "4"]);
        json.GetProperty("prompt_tokens_per_s").EnumerateObject().ShouldAllBe(p => p.Value.GetDouble() > 0);
        json.GetProperty("decode_tokens_per_s").EnumerateObject().ShouldAllBe(p => p.Value.GetDouble() > 0);
    }

    [Fact]
    public void Bench_without_json_logs_each_measurement_and_ends_with_the_peak_memory()
    {
        // Act
        var result = Cli.Run("bench", "--shape", "tiny");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var lines = result.Output.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        lines[0].ShouldStartWith("built tiny (");
        lines.Count(l => l.StartsWith("prompt pass, ", StringComparison.Ordinal)).ShouldBe(2);
        lines.Count(l => l.StartsWith("decode, batch ", StringComparison.Ordinal)).ShouldBe(2);
        lines[^1].ShouldStartWith("peak memory ");
    }

    [Fact]
    public void Bench_profile_breaks_a_decoding_step_down_by_operation_and_reports_its_overhead()
    {
        // Act
        var result = Cli.Run("bench", "--shape", "tiny", "--profile", "--json");

        // Assert: the operations and the rest add up to the profiled step; --profile measures the bandwidth the
        // overhead needs, and the overhead is the batch-1 step minus the weights' streaming time.
        result.ExitCode.ShouldBe(0, result.Error);
        var json = result.Json();
        var profile = json.GetProperty("decode_profile");
        profile.GetProperty("steps").GetInt32().ShouldBe(112, "tiny's 128 positions leave 112 steps after the 16-token prompt");
        var seconds = profile.GetProperty("seconds_per_step");
        Keys(seconds).ShouldBe(["weight_products", "logits", "norms", "attention", "cache_writes", "activation", "residual_adds", "embedding", "other"]);
        seconds.EnumerateObject().Where(p => p.Name != "other").ShouldAllBe(p => p.Value.GetDouble() > 0);
        var step = profile.GetProperty("step_s").GetDouble();
        seconds.EnumerateObject().Sum(p => p.Value.GetDouble()).ShouldBe(step, tolerance: 1e-9 * step);
        var bandwidth = json.GetProperty("read_bandwidth_bytes_per_s").GetDouble();
        var tokens = json.GetProperty("decode_tokens_per_s").GetProperty("1").GetDouble();
        json.GetProperty("decode_overhead_s").GetDouble().ShouldBe(1 / tokens - json.GetProperty("weight_bytes").GetInt64() / bandwidth, tolerance: 1e-12);
    }

    [Fact]
    public void Bench_profile_as_text_is_a_table_within_80_columns()
    {
        // Act
        var result = Cli.Run("bench", "--shape", "tiny", "--profile");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var lines = result.Output.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        lines.ShouldContain(l => l.StartsWith("decode, batch 1: ", StringComparison.Ordinal) && l.Contains(" = weight streaming ") && l.Contains(" + overhead "));
        var table = Array.FindIndex(lines, l => l.StartsWith("operation ", StringComparison.Ordinal));
        table.ShouldBeGreaterThan(0);
        lines[table - 1].ShouldStartWith("decode step, batch 1, 112 steps profiled: ");
        lines.Skip(table + 1).Take(9).Select(l => l.Split("  ", StringSplitOptions.RemoveEmptyEntries)[0].Trim())
            .ShouldBe(["weight products", "logits", "norms", "attention", "KV cache writes", "activation", "residual adds", "embedding",
                "other (sampling, allocation, views, dispatch)"]);
        lines.ShouldContain(l => l.StartsWith("weight products and logits read ", StringComparison.Ordinal));
        lines.ShouldAllBe(l => l.Length <= 80);
    }

    [Fact]
    public void Bench_with_an_unknown_shape_is_a_usage_error()
    {
        // Act
        var result = Cli.Run("bench", "--shape", "gpt5", "--json");

        // Assert
        result.ShouldFailWith(2, "unknown shape 'gpt5'");
    }

    private static string[] Keys(JsonElement element) => element.EnumerateObject().Select(p => p.Name).ToArray();
}
