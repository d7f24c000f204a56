using System.Text;
using System.Text.Json;
using Steer.Tokenization;

namespace Steer.Tests.Tokenization;

public sealed class Gpt2TokenizerTests : IDisposable
{
    private static readonly Gpt2Tokenizer Gpt2 = Gpt2Tokenizer.Default;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static readonly string[] UnicodeTexts =
    [
        "emoji 🎉👍🏽 and a family 👨‍👩‍👧", "café, naïve, Ångström, señor", "日本語のテキストと中文", "привет мир",
        "  runs   of spaces\n\n\ttabs\r\n", "it's we'll I'M don't", "#include <stdio.h> ## ###", "a<|endoftext|>b",
    ];

    // GPT-2's vocabulary and merges in file form, derived once from the built-in tables.
    private static readonly Lazy<(Dictionary<string, int> Vocab, List<string[]> Merges)> Gpt2Files = new(DeriveGpt2Files);

    private readonly string _dir = Directory.CreateTempSubdirectory("steer-tokenizer-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string, int[]> ReferenceCases()
    {
        using var doc = TestData.Json("tokenizer-gpt2.json");
        var data = new TheoryData<string, int[]>();
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
            data.Add(c.GetProperty("text").GetString()!, c.GetProperty("ids").EnumerateArray().Select(i => i.GetInt32()).ToArray());
        return data;
    }

    [Theory]
    [MemberData(nameof(ReferenceCases))]
    public void Encode_matches_reference_ids_for_every_case(string text, int[] ids)
    {
        Gpt2.Encode(text, prependBos: false).ShouldBe(ids);
        Gpt2.Encode(text, prependBos: true).ShouldBe([Gpt2Tokenizer.EndOfText, .. ids]);
        Gpt2.Encode(text).ShouldBe([Gpt2Tokenizer.EndOfText, .. ids]);
    }

    [Theory]
    [MemberData(nameof(ReferenceCases))]
    public void Decode_round_trips_reference_texts(string text, int[] ids)
    {
        Gpt2.Decode(ids).ShouldBe(text);
        Gpt2.Decode(Gpt2.Encode(text)).ShouldBe("<|endoftext|>" + text);
    }

    [Fact]
    public void Decode_round_trips_unicode_texts()
    {
        foreach (var text in UnicodeTexts)
            Gpt2.Decode(Gpt2.Encode(text, prependBos: false)).ShouldBe(text);
    }

    [Fact]
    public void End_of_text_literal_encodes_as_the_special_token_and_decodes_back()
    {
        Gpt2.Encode("hello<|endoftext|> world", prependBos: false).ShouldBe([31373, 50256, 995]);
        Gpt2.Decode([50256]).ShouldBe("<|endoftext|>");
        Gpt2.EndOfTextId.ShouldBe(Gpt2Tokenizer.EndOfText);
        Gpt2.Source.ShouldBe("built-in gpt2");
    }

    [Fact]
    public void TokenText_shows_whole_tokens_and_escapes_partial_utf8()
    {
        Gpt2.TokenText(5465).ShouldBe(" hate");
        Gpt2.TokenText(50256).ShouldBe("<|endoftext|>");
        // "’" (e2 80 99) is two GPT-2 tokens: 447 = e2 80 and 247 = 99.
        Gpt2.Encode("’", prependBos: false).ShouldBe([447, 247]);
        Gpt2.TokenText(447).ShouldBe(@"\xe2\x80");
        Gpt2.TokenText(247).ShouldBe(@"\x99");
    }

    [Fact]
    public void IncrementalDecoder_yields_the_full_text_and_never_a_partial_character()
    {
        // Arrange
        const string text = "Party 🎉👍🏽 with 👨‍👩‍👧 at the café 日本 ’quoted’";
        var ids = Gpt2.Encode(text, prependBos: false);
        var decoder = Gpt2.CreateIncrementalDecoder();

        // Act
        var pieces = ids.Select(decoder.Push).ToList();
        string rest = decoder.Flush();

        // Assert
        string.Concat(pieces).ShouldBe(text);
        rest.ShouldBeEmpty();
        pieces.ShouldContain(""); // some tokens end mid-character, so their bytes had to wait
        foreach (var piece in pieces)
        {
            piece.ShouldNotContain('\uFFFD');
            Should.NotThrow(() => StrictUtf8.GetBytes(piece)); // a lone surrogate would throw
        }
    }

    [Fact]
    public void IncrementalDecoder_flush_turns_unfinished_bytes_into_a_replacement_character()
    {
        var decoder = Gpt2.CreateIncrementalDecoder();

        decoder.Push(447).ShouldBe(""); // e2 80: two bytes of a three-byte character
        decoder.Flush().ShouldBe("\uFFFD");
        decoder.Push(40).ShouldBe("I"); // and it starts afresh
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(50257)]
    [InlineData(int.MaxValue)]
    public void Ids_outside_the_vocabulary_are_invalid_arguments(int id)
    {
        var errors = new[]
        {
            Should.Throw<SteerException>(() => Gpt2.Decode([40, id])),
            Should.Throw<SteerException>(() => Gpt2.TokenText(id)),
            Should.Throw<SteerException>(() => Gpt2.CreateIncrementalDecoder().Push(id)),
        };

        foreach (var error in errors)
        {
            error.Kind.ShouldBe(ErrorKind.InvalidArgument);
            error.Message.ShouldContain(id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            error.Message.ShouldContain("0 to 50256");
        }
    }

    [Fact]
    public void Default_is_one_shared_instance_that_encodes_correctly_across_threads()
    {
        var instances = new Gpt2Tokenizer[64];
        var encoded = new IReadOnlyList<int>[64];
        Parallel.For(0, instances.Length, i =>
        {
            instances[i] = Gpt2Tokenizer.Default;
            encoded[i] = instances[i].Encode(UnicodeTexts[i % UnicodeTexts.Length] + i);
        });

        instances.ShouldAllBe(t => ReferenceEquals(t, Gpt2));
        for (int i = 0; i < encoded.Length; i++)
            Gpt2.Decode(encoded[i]).ShouldBe("<|endoftext|>" + UnicodeTexts[i % UnicodeTexts.Length] + i);
    }

    [Theory]
    [InlineData("vocab.json+merges.txt")]
    [InlineData("tokenizer.json")]
    [InlineData("tokenizer.json with array merges")]
    public void FromDirectory_reproduces_gpt2_from_files_derived_from_the_builtin_data(string format)
    {
        // Arrange
        var (vocab, merges) = Gpt2Files.Value;
        WriteTokenizerFiles(format, vocab, merges);

        // Act
        var tokenizer = Gpt2Tokenizer.FromDirectory(_dir);

        // Assert
        tokenizer.Source.ShouldBe(format.Split(' ')[0]);
        tokenizer.EndOfTextId.ShouldBe(Gpt2Tokenizer.EndOfText);
        foreach (var row in ReferenceCases())
            tokenizer.Encode((string)row[0], prependBos: false).ShouldBe((int[])row[1]);
        foreach (var text in UnicodeTexts)
        {
            tokenizer.Encode(text).ShouldBe(Gpt2.Encode(text));
            tokenizer.Decode(tokenizer.Encode(text, prependBos: false)).ShouldBe(text);
        }
        tokenizer.TokenText(447).ShouldBe(@"\xe2\x80");
    }

    [Theory]
    [InlineData("vocab.json+merges.txt")]
    [InlineData("tokenizer.json")]
    public void FromDirectory_uses_a_tiny_custom_vocabulary_instead_of_gpt2(string format)
    {
        // Arrange: bytes get ids equal to their value (unlike GPT-2), then six merges and <|endoftext|>.
        var vocab = Enumerable.Range(0, 256).ToDictionary(b => TokenizerFiles.ToByteLevel([(byte)b]), b => b);
        string[][] merges = [["h", "e"], ["l", "l"], ["he", "ll"], ["hell", "o"], ["Ġ", "w"], ["o", "r"]];
        foreach (var merge in merges)
            vocab[merge[0] + merge[1]] = vocab.Count;
        vocab["<|endoftext|>"] = vocab.Count; // 262
        WriteTokenizerFiles(format, vocab, [.. merges]);

        // Act
        var tokenizer = Gpt2Tokenizer.FromDirectory(_dir);
        var ids = tokenizer.Encode("hello world");

        // Assert: "hello" | "Ġw" "or" "l" "d"
        ids.ShouldBe([262, 259, 260, 261, 'l', 'd']);
        tokenizer.Decode(ids).ShouldBe("<|endoftext|>hello world");
        tokenizer.TokenText(258).ShouldBe("hell");
        tokenizer.Encode("héllo ✓", prependBos: false).ShouldBe(['h', 0xC3, 0xA9, 257, 'o', ' ', 0xE2, 0x9C, 0x93]);
        Should.Throw<SteerException>(() => tokenizer.TokenText(263)).Kind.ShouldBe(ErrorKind.InvalidArgument);
    }

    [Fact]
    public void FromDirectory_without_tokenizer_files_uses_the_builtin_tokenizer()
    {
        File.WriteAllText(Path.Combine(_dir, "config.json"), "{}");
        Gpt2Tokenizer.FromDirectory(_dir).ShouldBeSameAs(Gpt2);
    }

    [Theory]
    [InlineData("tokenizer.json", "{\"model\": {\"type\": \"BPE\", \"vocab\": {")]
    [InlineData("tokenizer.json", "{\"version\": \"1.0\"}")]
    [InlineData("tokenizer.json", "{\"model\": {\"type\": \"BPE\", \"vocab\": [\"a\"], \"merges\": []}}")]
    [InlineData("tokenizer.json", "{\"model\": {\"type\": \"Unigram\", \"vocab\": {}, \"merges\": []}}")]
    [InlineData("tokenizer.json", "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}}")]
    [InlineData("tokenizer.json", "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": \"zero\"}, \"merges\": []}}")]
    [InlineData("vocab.json", "[1, 2, 3]")]
    public void FromDirectory_rejects_a_malformed_file_as_an_invalid_model(string fileName, string content)
    {
        File.WriteAllText(Path.Combine(_dir, fileName), content);
        if (fileName == "vocab.json")
            File.WriteAllText(Path.Combine(_dir, "merges.txt"), "#version: 0.2\n");

        var error = Should.Throw<SteerException>(() => Gpt2Tokenizer.FromDirectory(_dir));

        error.Kind.ShouldBe(ErrorKind.InvalidModel);
        error.Message.ShouldContain(Path.Combine(_dir, fileName));
    }

    [Theory]
    [InlineData("Ġ t\nĠt he\nnot-a-merge\n", "line 4")]
    [InlineData("Ġ t\nq zz\n", "\"q zz\"")]
    public void FromDirectory_rejects_bad_merges_naming_the_line_or_merge(string mergesText, string expected)
    {
        var (vocab, _) = Gpt2Files.Value;
        File.WriteAllText(Path.Combine(_dir, "vocab.json"), JsonSerializer.Serialize(vocab));
        File.WriteAllText(Path.Combine(_dir, "merges.txt"), "#version: 0.2\n" + mergesText);

        var error = Should.Throw<SteerException>(() => Gpt2Tokenizer.FromDirectory(_dir));

        error.Kind.ShouldBe(ErrorKind.InvalidModel);
        error.Message.ShouldContain("merges.txt");
        error.Message.ShouldContain(expected);
    }

    [Fact]
    public void FromDirectory_rejects_vocab_json_without_merges_txt_and_a_missing_directory()
    {
        File.WriteAllText(Path.Combine(_dir, "vocab.json"), "{}");
        Should.Throw<SteerException>(() => Gpt2Tokenizer.FromDirectory(_dir)).Kind.ShouldBe(ErrorKind.InvalidModel);
        Should.Throw<SteerException>(() => Gpt2Tokenizer.FromDirectory(Path.Combine(_dir, "absent"))).Kind.ShouldBe(ErrorKind.NotFound);
    }

    private void WriteTokenizerFiles(string format, Dictionary<string, int> vocab, List<string[]> merges)
    {
        if (format == "vocab.json+merges.txt")
        {
            File.WriteAllText(Path.Combine(_dir, "vocab.json"), JsonSerializer.Serialize(vocab));
            File.WriteAllLines(Path.Combine(_dir, "merges.txt"), ["#version: 0.2", .. merges.Select(m => $"{m[0]} {m[1]}")]);
            return;
        }
        var tokenizerJson = new
        {
            version = "1.0",
            added_tokens = new[] { new { id = vocab["<|endoftext|>"], content = "<|endoftext|>", special = true } },
            normalizer = (object?)null,
            pre_tokenizer = new { type = "ByteLevel", add_prefix_space = false, trim_offsets = true, use_regex = true },
            model = new
            {
                type = "BPE",
                vocab,
                merges = format.EndsWith("array merges", StringComparison.Ordinal)
                    ? merges.Cast<object>().ToArray()
                    : merges.Select(m => $"{m[0]} {m[1]}").ToArray<object>(),
            },
        };
        File.WriteAllText(Path.Combine(_dir, "tokenizer.json"), JsonSerializer.Serialize(tokenizerJson));
    }

    // Ranks are GPT-2 ids. A token's merge is found by running BPE on its bytes with only lower-ranked
    // tokens allowed: what is left is the two parts that were merged to make it.
    private static (Dictionary<string, int>, List<string[]>) DeriveGpt2Files()
    {
        var vocab = new Dictionary<string, int>();
        for (int id = 0; id < Gpt2Tokenizer.EndOfText; id++)
            vocab[TokenizerFiles.ToByteLevel(Gpt2.TokenBytes(id))] = id;
        var merges = new List<string[]>();
        for (int id = 0; id < Gpt2Tokenizer.EndOfText; id++)
        {
            var parts = Gpt2.TokenBytes(id).ToArray().Select(b => TokenizerFiles.ToByteLevel([b])).ToList();
            while (parts.Count > 2)
            {
                int best = -1, bestRank = id;
                for (int i = 0; i + 1 < parts.Count; i++)
                {
                    if (vocab.TryGetValue(parts[i] + parts[i + 1], out int rank) && rank < bestRank)
                        (best, bestRank) = (i, rank);
                }
                parts[best] += parts[best + 1];
                parts.RemoveAt(best + 1);
            }
            if (parts.Count == 2)
                merges.Add([.. parts]);
        }
        vocab["<|endoftext|>"] = Gpt2Tokenizer.EndOfText;
        return (vocab, merges);
    }
}
