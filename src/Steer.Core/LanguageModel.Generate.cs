using Steer.Generation;
using Steer.Steering;

namespace Steer;

public sealed partial class LanguageModel
{
    /// <summary>Samples completions of <paramref name="prompt"/> (with BOS), steered when a vector is given.</summary>
    public GenerationResult Generate(string prompt, GenerationOptions options, SteeringVector? steering = null,
        SteeringOptions? steeringOptions = null) =>
        Generate([Tokenizer.Encode(prompt)], options, steering, steeringOptions);

    /// <summary>
    /// Samples <see cref="GenerationOptions.Count"/> completions of each prompt, all in one batch with a KV cache: one
    /// prompt pass, then one position per step; prompts of different lengths are left-padded. A steering vector is
    /// added to each prompt's front positions in the prompt pass only; decoding steps read the steered keys and values
    /// from the cache but are not steered themselves. Hooks attached to <see cref="Hooks"/> fire on every pass.
    /// </summary>
    /// <param name="onToken">Called after every step with (row, token id), for streaming.</param>
    /// <param name="cancellationToken">Checked between decoding steps; cancelling throws <see cref="OperationCanceledException"/>.</param>
    public GenerationResult Generate(IReadOnlyList<IReadOnlyList<int>> prompts, GenerationOptions options, SteeringVector? steering = null,
        SteeringOptions? steeringOptions = null, Action<int, int>? onToken = null, CancellationToken cancellationToken = default)
    {
        options = options.Validate().WithSeed();
        var items = prompts.Select(p => new GenerationItem(p, options) { Steering = steering, SteeringOptions = steeringOptions }).ToList();
        Func<GeneratedToken, bool>? sink = onToken is null ? null : token =>
        {
            onToken(token.Item * options.Count + token.Completion, token.Id);
            return true;
        };
        var results = GenerateMany(items, sink, cancellationToken);
        return new GenerationResult(prompts, results.SelectMany(r => r.Completions).ToList(), options.Seed!.Value);
    }

    /// <summary>
    /// Unsteered and steered completions of one prompt, sampled in one batch: completion i of each side
    /// starts from the same seed, so the two sides differ only by the steering.
    /// </summary>
    /// <param name="replyStart">For a chat prompt, where the assistant's turn begins (see <see cref="GenerationItem.ReplyStart"/>).</param>
    /// <param name="onToken">Receives every sampled token (item 0 unsteered, item 1 steered), for progress.</param>
    public (GenerationResult Unsteered, GenerationResult Steered) Compare(IReadOnlyList<int> prompt, GenerationOptions options,
        SteeringVector steering, SteeringOptions? steeringOptions = null, int? replyStart = null, Action<GeneratedToken>? onToken = null)
    {
        options = options.Validate().WithSeed();
        Func<GeneratedToken, bool>? sink = onToken is null ? null : token =>
        {
            onToken(token);
            return true;
        };
        var both = GenerateMany([
            new GenerationItem(prompt, options) { ReplyStart = replyStart },
            new GenerationItem(prompt, options) { Steering = steering, SteeringOptions = steeringOptions, ReplyStart = replyStart }], sink);
        return (both[0], both[1]);
    }

    /// <summary>Throws unless a prompt of <paramref name="promptLength"/> tokens and <paramref name="maxNewTokens"/> more fit the context.</summary>
    internal void CheckFits(int promptLength, int maxNewTokens, string subject = "the prompt")
    {
        if (promptLength + maxNewTokens > Shape.ContextLength)
            throw new SteerException(ErrorKind.InvalidArgument,
                $"{subject} has {promptLength} tokens; with {maxNewTokens} new tokens that exceeds the model's context of {Shape.ContextLength}");
    }

    /// <summary>Throws unless every id is inside the model's vocabulary.</summary>
    internal void CheckIds(IEnumerable<int> ids, string what = "token id")
    {
        foreach (var id in ids)
            if (id < 0 || id >= Shape.VocabSize)
                throw new SteerException(ErrorKind.InvalidArgument, $"{what} {id} is outside the vocabulary [0, {Shape.VocabSize})");
    }
}
