using System.Globalization;
using System.Text;

namespace Steer.Tokenization;

/// <summary>
/// The stand-in for a model directory without tokenizer files (a formula model, a bare checkpoint): token-id inputs
/// work, text inputs are refused with an error that says so, and ids are shown as <c>&lt;id&gt;</c>.
/// </summary>
public sealed class MissingTokenizer : ITokenizer
{
    private readonly string? _directory;

    /// <param name="vocabularySize">The model's vocab_size.</param>
    /// <param name="directory">The directory that has no tokenizer, for messages; null for a model built in memory.</param>
    public MissingTokenizer(int vocabularySize, string? directory)
    {
        VocabularySize = vocabularySize;
        _directory = directory;
    }

    public string Source => "none";

    public int VocabularySize { get; }

    /// <summary>No BOS is added: token-id inputs are used exactly as given.</summary>
    public int? BosId => null;

    public int EosId => 0;

    public int PadId => 0;

    /// <summary>Without a tokenizer no token is known to be special.</summary>
    public IReadOnlySet<int> SpecialIds => throw new SteerException(ErrorKind.InvalidArgument,
        $"{Where} has no tokenizer, so it is not known which tokens are special; leave out skipping special tokens");

    /// <summary>There is no space token to pad a prompt pair with: steering by text needs a tokenizer, and ids need --pad-id.</summary>
    public int PairPadId => throw new SteerException(ErrorKind.InvalidArgument,
        $"{Where} has no tokenizer, so there is no space token to pad the shorter prompt of a pair with; give a pad id (--pad-id)");

    public IReadOnlyList<int> Encode(string text, bool prependBos = true) => throw new SteerException(ErrorKind.InvalidArgument,
        $"{Where} has no tokenizer (no tokenizer.json), so text cannot be encoded; give token ids instead (--ids, --plus-ids/--minus-ids)");

    public string Decode(IEnumerable<int> ids)
    {
        var text = new StringBuilder();
        foreach (var id in ids) text.Append(TokenText(id));
        return text.ToString();
    }

    public string TokenText(int id) =>
        (uint)id < (uint)VocabularySize ? string.Create(CultureInfo.InvariantCulture, $"<{id}>")
            : throw new SteerException(ErrorKind.InvalidArgument, $"Token id {id} is not in the vocabulary; valid ids are 0 to {VocabularySize - 1}.");

    public IncrementalDecoder CreateIncrementalDecoder() => new(id => Encoding.UTF8.GetBytes(TokenText(id)));

    private string Where => _directory is null ? "this model" : $"the model at {_directory}";
}
