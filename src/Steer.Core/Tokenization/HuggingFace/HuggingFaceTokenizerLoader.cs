using System.Text;
using System.Text.Json;

namespace Steer.Tokenization.HuggingFace;

/// <summary>Reads tokenizer.json and tokenizer_config.json into a <see cref="HuggingFaceTokenizer"/>.</summary>
internal static class HuggingFaceTokenizerLoader
{
    internal const string TokenizerFileName = "tokenizer.json", ConfigFileName = "tokenizer_config.json";

    public static HuggingFaceTokenizer? FromDirectory(string modelDirectory)
    {
        ArgumentNullException.ThrowIfNull(modelDirectory);
        if (!Directory.Exists(modelDirectory))
            throw new SteerException(ErrorKind.NotFound, $"Model directory {modelDirectory} does not exist.");
        string tokenizerPath = Path.Combine(modelDirectory, TokenizerFileName);
        if (!File.Exists(tokenizerPath))
            return null;
        string configPath = Path.Combine(modelDirectory, ConfigFileName);
        return Load(tokenizerPath, File.Exists(configPath) ? configPath : null);
    }

    public static HuggingFaceTokenizer Load(string tokenizerPath, string? configPath)
    {
        var file = new TokenizerJsonFile(tokenizerPath);
        using var document = file.Parse();
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
            throw file.Error("the root is not a JSON object");

        var model = BpeModel.Read(file.Required(root, "model", JsonValueKind.Object, "tokenizer"), file);
        var addedTokens = ReadAddedTokens(root, file);
        var tokens = new Dictionary<int, string>();
        foreach (var (content, id) in model.Vocab)
            tokens[id] = content;
        foreach (var token in addedTokens)
            tokens[token.Id] = token.Content; // Hugging Face shows an added token's content for its id
        var addedByContent = addedTokens.GroupBy(t => t.Content).ToDictionary(g => g.Key, g => g.First().Id);
        int? IdOf(string content) => addedByContent.TryGetValue(content, out int a) ? a : model.Vocab.TryGetValue(content, out int v) ? v : null;

        var normalizer = TextNormalizer.Read(TokenizerJsonFile.Optional(root, "normalizer"), file);
        var preTokenizer = PreTokenizerPipeline.Read(TokenizerJsonFile.Optional(root, "pre_tokenizer"), file);
        var decoder = TokenDecoder.Read(TokenizerJsonFile.Optional(root, "decoder"), tokens, file, TokenizerFileName);

        SpecialTokenIds specialIds;
        if (configPath is null)
        {
            specialIds = SpecialTokenIds.Read(root, file, null, IdOf);
        }
        else
        {
            var configFile = new TokenizerJsonFile(configPath);
            using var config = configFile.Parse();
            specialIds = SpecialTokenIds.Read(root, file, (config.RootElement, configFile), IdOf);
        }

        // ActAdd pads with "a single space": the byte-level token of " ", or SentencePiece's "▁".
        string space = preTokenizer.ByteLevel ? TokenizerFiles.ToByteLevel(" "u8) : "▁";
        int pairPad = model.Vocab.TryGetValue(space, out int spaceId)
            ? spaceId
            : throw file.Error($"model.vocab has no token \"{space}\" for a single space, which Steer pads prompt pairs with");
        return new HuggingFaceTokenizer(addedTokens, normalizer, preTokenizer, model, decoder, specialIds, pairPad, TokenizerFileName);
    }

    private static List<AddedToken> ReadAddedTokens(JsonElement root, TokenizerJsonFile file)
    {
        var result = new List<AddedToken>();
        if (TokenizerJsonFile.Optional(root, "added_tokens") is not { } added)
            return result;
        if (added.ValueKind != JsonValueKind.Array)
            throw file.Error("added_tokens is not an array");
        foreach (var token in added.EnumerateArray())
        {
            string where = $"added_tokens[{result.Count}]";
            int id = file.Int(token, "id", where);
            string content = file.RequiredString(token, "content", where);
            if (id is < 0 or >= 1 << 24)
                throw file.Error($"{where}.id is {id}, not an id from 0 to {(1 << 24) - 1}");
            if (content.Length == 0)
                throw file.Error($"{where}.content is empty");
            if (file.Bool(token, "single_word", false, where))
                throw file.Error($"{where} (\"{content}\") has single_word true, which Steer does not support");
            result.Add(new AddedToken(id, content, file.Bool(token, "special", false, where), file.Bool(token, "normalized", true, where),
                file.Bool(token, "lstrip", false, where), file.Bool(token, "rstrip", false, where)));
        }
        return result;
    }
}
