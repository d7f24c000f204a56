using System.Text.Json;
using Steer.Generation;
using Steer.Hooks;
using Steer.Steering.Methods;
using Steer.Tests.IO;

namespace Steer.Tests.Cli;

/// <summary>
/// The CLI on Llama-family formula models: make-model --arch writes a model with a byte-level tokenizer, text and
/// token-id steering give what the library gives, and a model without a tokenizer says so.
/// </summary>
public sealed class LlamaFamilySpecs : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private string MakeModel(string arch)
    {
        var output = _directory.File(arch);
        var result = Cli.Run("debug", "make-model", "--arch", arch, "--seed", "3", "--out", output);
        result.ExitCode.ShouldBe(0, result.Error);
        return output;
    }

    [Theory]
    [InlineData("llama")]
    [InlineData("mistral")]
    [InlineData("qwen2")]
    [InlineData("qwen3")]
    public void Make_model_arch_writes_a_model_that_steers_from_text_as_the_library_does(string arch)
    {
        // Arrange
        var directory = MakeModel(arch);
        using var model = LanguageModel.Load(directory);
        var prompt = model.Tokenizer.Encode("I hate you because");
        var vector = ActAdd.Pair(model, "Love", "Hate", 1, 5);
        var expected = model.Generate([prompt], new GenerationOptions { MaxNewTokens = 6, Sampling = SamplingOptions.Greedy, StopAtEndOfText = false }, vector);

        // Act
        var result = Cli.Run("generate", "--model", directory, "--prompt", "I hate you because", "--plus", "Love", "--minus", "Hate",
            "--layer", "1", "--coeff", "5", "--max-new-tokens", "6", "--temperature", "0", "--json");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        model.ModelType.ShouldBe(arch);
        prompt[0].ShouldBe(1, "the formula tokenizer adds <s>");
        using var json = JsonDocument.Parse(result.Output);
        json.RootElement.GetProperty("prompt_ids").EnumerateArray().Select(e => e.GetInt32()).ShouldBe(prompt);
        json.RootElement.GetProperty("completions")[0].GetProperty("ids").EnumerateArray().Select(e => e.GetInt32())
            .ShouldBe(expected.Completions.Single());
    }

    [Fact]
    public void Plus_ids_and_minus_ids_steer_with_the_literal_ids()
    {
        // Arrange
        var directory = MakeModel("llama");
        using var model = LanguageModel.Load(directory);
        var vector = ActAdd.Pair(model, [1, 300], [1, 301, 302], HookNames.ResidPre(1), 5, padId: 3);
        var expected = model.Generate([[1, 40, 41]], new GenerationOptions { MaxNewTokens = 6, Sampling = SamplingOptions.Greedy, StopAtEndOfText = false }, vector);

        // Act
        var result = Cli.Run("generate", "--model", directory, "--ids", "1,40,41", "--plus-ids", "1,300", "--minus-ids", "1 301 302",
            "--pad-id", "3", "--layer", "1", "--coeff", "5", "--max-new-tokens", "6", "--temperature", "0", "--json");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        using var json = JsonDocument.Parse(result.Output);
        json.RootElement.GetProperty("completions")[0].GetProperty("ids").EnumerateArray().Select(e => e.GetInt32())
            .ShouldBe(expected.Completions.Single());
    }

    [Fact]
    public void A_model_without_a_tokenizer_takes_ids_and_refuses_text_saying_why()
    {
        // Arrange
        var directory = MakeModel("qwen2");
        File.Delete(Path.Combine(directory, "tokenizer.json"));
        File.Delete(Path.Combine(directory, "tokenizer_config.json"));

        // Act
        var text = Cli.Run("generate", "--model", directory, "--prompt", "hello", "--max-new-tokens", "2");
        var ids = Cli.Run("generate", "--model", directory, "--ids", "1,40,41", "--max-new-tokens", "2", "--temperature", "0");
        var unpadded = Cli.Run("generate", "--model", directory, "--ids", "1,40,41", "--plus-ids", "1,300", "--minus-ids", "1,301,302",
            "--layer", "1", "--coeff", "5", "--max-new-tokens", "2");

        // Assert
        text.ShouldFailWith(2, "has no tokenizer (no tokenizer.json), so text cannot be encoded; give token ids instead");
        ids.ExitCode.ShouldBe(0, ids.Error);
        ids.Output.ShouldStartWith("<1><40><41>");
        unpadded.ShouldFailWith(2, "give a pad id (--pad-id)");
    }

    [Theory]
    [InlineData("1,x", "--plus-ids: 'x' is not a token id")]
    [InlineData("1,-5", "--plus-ids: '-5' is not a token id")]
    [InlineData(",", "--plus-ids is empty")]
    public void Bad_token_ids_are_refused(string ids, string message)
    {
        var directory = MakeModel("llama");

        var result = Cli.Run("generate", "--model", directory, "--ids", "1,40", "--plus-ids", ids, "--layer", "1", "--coeff", "5");

        result.ShouldFailWith(2, message);
    }

    [Fact]
    public void Make_model_refuses_a_shape_of_another_architecture()
    {
        var result = Cli.Run("debug", "make-model", "--arch", "qwen3", "--shape", "llama-tiny", "--out", _directory.File("x"));

        result.ShouldFailWith(2, "shape 'llama-tiny' is a llama shape, not a qwen3 one");
    }
}
