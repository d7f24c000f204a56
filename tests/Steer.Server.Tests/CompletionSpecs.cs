using System.Net;
using System.Text.Json;
using Steer.Cli;
using Steer.Server.Tests.Infrastructure;

namespace Steer.Server.Tests;

/// <summary>POST /v1/completions answers OpenAI's shape, and its text is what <c>steer generate</c> prints for the same parameters.</summary>
public sealed class CompletionSpecs(ServerFixture server) : IClassFixture<ServerFixture>
{
    private const string Prompt = "I hate you because";

    private HttpClient Client => server.Client;

    /// <summary>The completions' texts of <c>steer generate ... --json</c> on the same model directory.</summary>
    private string[] Generate(params string[] args) => GenerateJson(args).Select(c => c.GetProperty("text").GetString()!).ToArray();

    private JsonElement[] GenerateJson(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = SteerCli.Run(["generate", "--model", server.Model.Path, "--json", .. args], new CliContext(output, error));
        exitCode.ShouldBe(0, error.ToString());
        using var json = JsonDocument.Parse(output.ToString());
        return json.RootElement.GetProperty("completions").EnumerateArray().Select(c => c.Clone()).ToArray();
    }

    [Fact]
    public async Task A_plain_completion_has_openais_fields_and_counts_bos_in_the_prompt_tokens()
    {
        // Act
        var result = await Client.PostAsync("/v1/completions", new { model = server.ModelId, prompt = Prompt, max_tokens = 8, seed = 0 });

        // Assert
        result.Status.ShouldBe(HttpStatusCode.OK, result.Body);
        var json = result.Json();
        json.GetProperty("id").GetString()!.ShouldStartWith("cmpl-");
        json.GetProperty("object").GetString().ShouldBe("text_completion");
        json.GetProperty("model").GetString().ShouldBe(server.ModelId);
        json.GetProperty("created").GetInt64().ShouldBeGreaterThan(1_600_000_000);
        var choice = json.GetProperty("choices").EnumerateArray().ShouldHaveSingleItem();
        choice.GetProperty("index").GetInt32().ShouldBe(0);
        choice.GetProperty("finish_reason").GetString().ShouldBe("length");
        choice.GetProperty("logprobs").ValueKind.ShouldBe(JsonValueKind.Null);
        var usage = json.GetProperty("usage");
        usage.GetProperty("prompt_tokens").GetInt32().ShouldBe(5);
        usage.GetProperty("completion_tokens").GetInt32().ShouldBe(8);
        usage.GetProperty("total_tokens").GetInt32().ShouldBe(13);
    }

    [Fact]
    public async Task The_text_equals_steer_generate_with_the_same_prompt_seed_n_and_sampling()
    {
        // Arrange
        var expected = Generate("--prompt", Prompt, "--max-new-tokens", "12", "-n", "3", "--seed", "7",
            "--temperature", "0.9", "--top-p", "0.5", "--freq-penalty", "1", "--presence-penalty", "0.5");

        // Act
        var result = await Client.PostAsync("/v1/completions", new
        {
            prompt = Prompt,
            max_tokens = 12,
            n = 3,
            seed = 7,
            temperature = 0.9,
            top_p = 0.5,
            frequency_penalty = 1,
            presence_penalty = 0.5,
        });

        // Assert
        result.Status.ShouldBe(HttpStatusCode.OK, result.Body);
        result.Texts().ShouldBe(expected);
    }

    [Fact]
    public async Task A_steered_text_equals_steer_generate_with_the_same_pair_and_differs_from_the_unsteered_text()
    {
        // Arrange
        var expected = Generate("--prompt", Prompt, "--max-new-tokens", "12", "--seed", "0", "--temperature", "0",
            "--plus", "Love", "--minus", "Hate", "--layer", "1", "--coeff", "5");
        var unsteered = Generate("--prompt", Prompt, "--max-new-tokens", "12", "--seed", "0", "--temperature", "0");

        // Act
        var result = await Client.PostAsync("/v1/completions", new
        {
            prompt = Prompt,
            max_tokens = 12,
            seed = 0,
            temperature = 0,
            steering = new { additions = new[] { new { plus = "Love", minus = "Hate", layer = 1, coeff = 5 } } },
        });

        // Assert
        result.Status.ShouldBe(HttpStatusCode.OK, result.Body);
        result.Texts().ShouldBe(expected);
        result.Texts().ShouldNotBe(unsteered);
    }

    [Fact]
    public async Task A_recipe_steers_as_steer_generate_with_that_recipe_does()
    {
        // Arrange
        var expected = Generate("--prompt", "I went up to my friend and said", "--recipe", "weddings", "--max-new-tokens", "10", "--seed", "3", "-n", "2");

        // Act
        var result = await Client.PostAsync("/v1/completions", new
        {
            prompt = "I went up to my friend and said",
            max_tokens = 10,
            seed = 3,
            n = 2,
            steering = new { recipe = "weddings" },
        });

        // Assert
        result.Status.ShouldBe(HttpStatusCode.OK, result.Body);
        result.Texts().ShouldBe(expected);
    }

    [Fact]
    public async Task Single_additions_hook_point_names_and_the_back_location_map_as_on_the_command_line()
    {
        // Arrange
        var expected = Generate("--prompt", Prompt, "--max-new-tokens", "8", "--seed", "1", "--add", "Love:3@1", "--location", "back");

        // Act
        var result = await Client.PostAsync("/v1/completions", new
        {
            prompt = Prompt,
            max_tokens = 8,
            seed = 1,
            steering = new { additions = new[] { new { plus = "Love", layer = (object)"blocks.1.hook_resid_pre", coeff = 3.0 } }, location = "back" },
        });

        // Assert
        result.Status.ShouldBe(HttpStatusCode.OK, result.Body);
        result.Texts().ShouldBe(expected);
    }

    [Fact]
    public async Task A_list_of_prompts_gives_n_choices_per_prompt_in_prompt_order_each_as_if_alone()
    {
        // Arrange
        string[] prompts = ["I hate you because", "The weather today"];

        // Act
        var both = await Client.PostAsync("/v1/completions", new { prompt = prompts, max_tokens = 6, n = 2, seed = 4 });
        var first = await Client.PostAsync("/v1/completions", new { prompt = prompts[0], max_tokens = 6, n = 2, seed = 4 });
        var second = await Client.PostAsync("/v1/completions", new { prompt = prompts[1], max_tokens = 6, n = 2, seed = 4 });

        // Assert
        both.Status.ShouldBe(HttpStatusCode.OK, both.Body);
        both.Texts().ShouldBe([.. first.Texts(), .. second.Texts()]);
        both.Json().GetProperty("choices").EnumerateArray().Select(c => c.GetProperty("index").GetInt32()).ShouldBe([0, 1, 2, 3]);
    }

    [Fact]
    public async Task Token_id_prompts_are_used_literally_like_ids()
    {
        // Arrange
        var expected = Generate("--ids", "50256,40,5465,345,780", "--max-new-tokens", "6", "--seed", "2");

        // Act
        var flat = await Client.PostAsync("/v1/completions", new { prompt = new[] { 50256, 40, 5465, 345, 780 }, max_tokens = 6, seed = 2 });
        var nested = await Client.PostAsync("/v1/completions", new { prompt = new[] { new[] { 50256, 40, 5465, 345, 780 } }, max_tokens = 6, seed = 2 });

        // Assert
        flat.Texts().ShouldBe(expected);
        nested.Texts().ShouldBe(expected);
    }

    [Fact]
    public async Task Max_tokens_defaults_to_openais_16_and_0_gives_an_empty_completion()
    {
        // Act
        var byDefault = await Client.PostAsync("/v1/completions", new { prompt = Prompt, seed = 0 });
        var none = await Client.PostAsync("/v1/completions", new { prompt = Prompt, seed = 0, max_tokens = 0 });

        // Assert
        byDefault.Json().GetProperty("usage").GetProperty("completion_tokens").GetInt32().ShouldBe(16);
        none.Texts().ShouldBe([""]);
        none.Json().GetProperty("usage").GetProperty("completion_tokens").GetInt32().ShouldBe(0);
        none.Json().GetProperty("choices")[0].GetProperty("finish_reason").GetString().ShouldBe("length");
    }

    [Fact]
    public async Task A_stop_string_ends_the_text_before_it_with_finish_reason_stop()
    {
        // Arrange
        var full = (await Client.PostAsync("/v1/completions", new { prompt = Prompt, max_tokens = 20, seed = 5 })).Texts().Single();
        var stop = full.Substring(full.Length / 2, 3);
        var cut = full.IndexOf(stop, StringComparison.Ordinal);

        // Act
        var result = await Client.PostAsync("/v1/completions", new { prompt = Prompt, max_tokens = 20, seed = 5, stop = new[] { "never appears", stop } });

        // Assert
        result.Status.ShouldBe(HttpStatusCode.OK, result.Body);
        result.Texts().ShouldBe([full[..cut]]);
        result.Json().GetProperty("choices")[0].GetProperty("finish_reason").GetString().ShouldBe("stop");
        result.Json().GetProperty("usage").GetProperty("completion_tokens").GetInt32().ShouldBeLessThan(20);
    }

    [Fact]
    public async Task Logprobs_give_each_tokens_log_probability_under_the_model_its_alternatives_and_text_offsets()
    {
        // Arrange
        using var model = server.Model.Load();
        var prompt = model.Tokenizer.Encode(Prompt);
        var ids = GenerateJson("--prompt", Prompt, "--max-new-tokens", "8", "--seed", "6").Single().GetProperty("ids")
            .EnumerateArray().Select(i => i.GetInt32()).ToArray();
        var score = model.Score([.. prompt, .. ids]);

        // Act
        var result = await Client.PostAsync("/v1/completions", new { prompt = Prompt, max_tokens = 8, seed = 6, logprobs = 3 });

        // Assert
        result.Status.ShouldBe(HttpStatusCode.OK, result.Body);
        var choice = result.Json().GetProperty("choices")[0];
        var logprobs = choice.GetProperty("logprobs");
        var tokens = logprobs.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()!).ToArray();
        var values = logprobs.GetProperty("token_logprobs").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var offsets = logprobs.GetProperty("text_offset").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        var top = logprobs.GetProperty("top_logprobs").EnumerateArray().ToArray();
        tokens.Length.ShouldBe(8);
        values.Length.ShouldBe(8);
        offsets.Length.ShouldBe(8);
        top.Length.ShouldBe(8);
        tokens.ShouldBe(ids.Select(model.Tokenizer.TokenText).ToArray());
        values.ShouldBe(score.TokenLogprobs.Skip(prompt.Count - 1).ToArray(), tolerance: 1e-4);
        offsets[0].ShouldBe(0);
        offsets.ShouldBeInOrder(SortDirection.Ascending);
        for (var t = 0; t < 8; t++)
        {
            var alternatives = top[t].EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
            alternatives.Count.ShouldBeInRange(3, 4);
            alternatives[tokens[t]].ShouldBe(values[t], 1e-9);
            alternatives.Values.Max().ShouldBeGreaterThanOrEqualTo(values[t]);
        }
    }
}
