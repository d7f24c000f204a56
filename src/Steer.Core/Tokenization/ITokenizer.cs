namespace Steer.Tokenization;

/// <summary>
/// Text to token ids and back, and the special ids the rest of Steer needs: BOS to start a text, EOS to stop
/// generating, a pad id for batches, and the id ActAdd pads prompt pairs with. Implementations are immutable
/// and safe to use from several threads.
/// </summary>
public interface ITokenizer
{
    /// <summary>Where the vocabulary came from, for display (e.g. "tokenizer.json").</summary>
    string Source { get; }

    /// <summary>One past the highest id this tokenizer can produce or decode.</summary>
    int VocabularySize { get; }

    /// <summary>Put first when a text is encoded with BOS; null when the model has none.</summary>
    int? BosId { get; }

    /// <summary>The token that ends a generated text.</summary>
    int EosId { get; }

    /// <summary>The token that fills the unused positions of a padded batch (they are masked out).</summary>
    int PadId { get; }

    /// <summary>The token ActAdd right-pads the shorter prompt of a pair with, and the short-prompt policy inserts.</summary>
    int PairPadId { get; }

    /// <summary>
    /// Ids of the special tokens (<c>&lt;|endoftext|&gt;</c>, <c>&lt;|im_start|&gt;</c>, <c>&lt;|eot_id|&gt;</c>, ...): the
    /// added tokens marked special, and BOS, EOS and pad. Chat steering can leave their positions alone.
    /// </summary>
    IReadOnlySet<int> SpecialIds { get; }

    /// <summary>Splits <paramref name="text"/> into token ids, with <see cref="BosId"/> first when asked and there is one.</summary>
    IReadOnlyList<int> Encode(string text, bool prependBos = true);

    /// <summary>The text of a sequence of ids; bytes that are not valid UTF-8 become U+FFFD.</summary>
    string Decode(IEnumerable<int> ids);

    /// <summary>The text of one token for display, with incomplete UTF-8 bytes shown as escapes such as <c>\xe2</c>.</summary>
    string TokenText(int id);

    /// <summary>A decoder that turns ids into text one at a time, for streaming.</summary>
    IncrementalDecoder CreateIncrementalDecoder();
}
