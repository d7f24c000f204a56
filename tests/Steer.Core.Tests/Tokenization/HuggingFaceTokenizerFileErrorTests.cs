using System.Text.Json.Nodes;
using Steer.Tokenization.HuggingFace;

namespace Steer.Tests.Tokenization;

/// <summary>Malformed or unsupported tokenizer files are refused with an error that names the file and the problem.</summary>
public sealed class HuggingFaceTokenizerFileErrorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("steer-hf-tokenizer-bad-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static JsonObject Fixture(string name) =>
        JsonNode.Parse(File.ReadAllText(TestData.PathOf(Path.Combine("tokenizers", name, "tokenizer.json"))))!.AsObject();

    public static TheoryData<string, string, string> Edits() => new()
    {
        // fixture, edit, a phrase the message must contain
        { "llama2", "unigram", "model.type is \"Unigram\"" },
        { "llama2", "wordpiece", "model.type is \"WordPiece\"" },
        { "llama2", "lowercase normalizer", "normalizer.normalizers[0] has type \"Lowercase\"" },
        { "llama3", "bert pre-tokenizer", "pre_tokenizer has type \"BertPreTokenizer\"" },
        { "llama3", "possessive regex", "possessive quantifier" },
        { "llama3", "wordpiece decoder", "decoder has type \"WordPiece\"" },
        { "llama3", "no decoder", "decoder is missing" },
        { "llama3", "merge of unknown token", "model.merges[0]" },
        { "llama3", "id out of range", "not an integer from 0 to" },
        { "qwen2", "added token out of range", "added_tokens[0].id is -5" },
        { "qwen2", "single word", "single_word" },
        { "llama2", "eos template", "appends a special token after the text" },
    };

    [Theory]
    [MemberData(nameof(Edits))]
    public void An_unsupported_or_malformed_tokenizer_json_is_refused(string fixture, string edit, string phrase)
    {
        var root = Fixture(fixture);
        var model = root["model"]!.AsObject();
        switch (edit)
        {
            case "unigram": model["type"] = "Unigram"; break;
            case "wordpiece": model["type"] = "WordPiece"; break;
            case "lowercase normalizer": root["normalizer"] = JsonNode.Parse("""{"type":"Sequence","normalizers":[{"type":"Lowercase"}]}"""); break;
            case "bert pre-tokenizer": root["pre_tokenizer"] = JsonNode.Parse("""{"type":"BertPreTokenizer"}"""); break;
            case "possessive regex": root["pre_tokenizer"]!["pretokenizers"]![0]!["pattern"] = JsonNode.Parse("""{"Regex":"\\p{L}++|\\s+"}"""); break;
            case "wordpiece decoder": root["decoder"] = JsonNode.Parse("""{"type":"WordPiece","prefix":"##","cleanup":true}"""); break;
            case "no decoder": root["decoder"] = null; break;
            case "merge of unknown token": model["merges"]!.AsArray()[0] = "notatoken Ġ"; break;
            case "id out of range": model["vocab"]!["Ġ"] = 1 << 30; break;
            case "added token out of range": root["added_tokens"]![0]!["id"] = -5; break;
            case "single word": root["added_tokens"]![0]!["single_word"] = true; break;
            case "eos template": root["post_processor"]!["single"]!.AsArray().Add(JsonNode.Parse("""{"SpecialToken":{"id":"<s>","type_id":0}}""")); break;
        }
        string path = Path.Combine(_dir, "tokenizer.json");
        File.WriteAllText(path, root.ToJsonString());

        var error = Should.Throw<SteerException>(() => HuggingFaceTokenizer.FromDirectory(_dir));
        error.Kind.ShouldBe(ErrorKind.InvalidModel);
        error.Message.ShouldContain(path);
        error.Message.ShouldContain(phrase);
    }

    [Fact]
    public void Invalid_json_is_refused_naming_the_file()
    {
        string path = Path.Combine(_dir, "tokenizer.json");
        File.WriteAllText(path, "{\"model\": ");
        var error = Should.Throw<SteerException>(() => HuggingFaceTokenizer.FromDirectory(_dir));
        error.Kind.ShouldBe(ErrorKind.InvalidModel);
        error.Message.ShouldContain(path);
        error.Message.ShouldContain("not valid JSON");
    }

    [Theory]
    [InlineData("""{"add_eos_token": true, "eos_token": "</s>"}""", "add_eos_token is true")]
    [InlineData("""{"eos_token": "<nope>"}""", "eos_token \"<nope>\" is not a token")]
    [InlineData("""{"add_bos_token": true, "bos_token": null, "eos_token": "</s>"}""", "bos_token is not set")]
    [InlineData("""[1, 2]""", "the root is not a JSON object")]
    public void A_bad_tokenizer_config_is_refused_naming_that_file(string config, string phrase)
    {
        File.WriteAllText(Path.Combine(_dir, "tokenizer.json"), Fixture("llama2").ToJsonString());
        string path = Path.Combine(_dir, "tokenizer_config.json");
        File.WriteAllText(path, config);
        var error = Should.Throw<SteerException>(() => HuggingFaceTokenizer.FromDirectory(_dir));
        error.Kind.ShouldBe(ErrorKind.InvalidModel);
        error.Message.ShouldContain(path);
        error.Message.ShouldContain(phrase);
    }
}
