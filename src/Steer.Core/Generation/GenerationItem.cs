using Steer.Steering;

namespace Steer.Generation;

/// <summary>
/// One prompt of a mixed batch (<see cref="LanguageModel.GenerateMany"/>): its own completion count, token budget,
/// seed and steering. Items of one batch share <see cref="GenerationOptions.Sampling"/> and
/// <see cref="GenerationOptions.StopAtEndOfText"/>; everything else may differ from item to item.
/// </summary>
/// <param name="Prompt">Token ids, used literally (BOS included if wanted).</param>
/// <param name="Options">Count, MaxNewTokens and Seed apply to this item only. Completion i is drawn from the generator
/// of (seed, i), as <c>LanguageModel.Generate</c> does, so an item's text does not depend on the rest of the batch.</param>
public sealed record GenerationItem(IReadOnlyList<int> Prompt, GenerationOptions Options)
{
    /// <summary>Added to this item's rows only, in the prompt pass, as the steered <c>Generate</c> does.</summary>
    public SteeringVector? Steering { get; init; }

    public SteeringOptions? SteeringOptions { get; init; }

    /// <summary>
    /// For a chat prompt, the index in <see cref="Prompt"/> where the assistant's turn begins (its header, written by the
    /// template's generation prompt; <c>Prompt.Count</c> when the template writes none); what
    /// <see cref="PositionMode.Assistant"/> steers from. Null for a prompt that is not a chat.
    /// </summary>
    public int? ReplyStart { get; init; }

    /// <summary>Report each sampled token's log-probability and this many most likely alternatives (0 for none); null reports nothing.</summary>
    public int? Logprobs { get; init; }

    /// <summary>Ends this item's completions where they are (the rest of the batch goes on).</summary>
    public CancellationToken Cancellation { get; init; }
}

/// <summary>Log-probabilities of one sampled token under the model's own distribution (the raw logits, before temperature, penalties and top-k/top-p).</summary>
/// <param name="Logprob">log p(the sampled token).</param>
/// <param name="Top">The most likely tokens and their log-probabilities, most likely first.</param>
public sealed record TokenLogprobs(double Logprob, IReadOnlyList<(int Id, double Logprob)> Top);

/// <summary>One sampled token of a mixed batch, reported as it is produced.</summary>
/// <param name="Item">Index of the <see cref="GenerationItem"/>.</param>
/// <param name="Completion">Which of the item's completions (0 to Count − 1).</param>
/// <param name="Logprobs">Set when the item asked for log-probabilities.</param>
public sealed record GeneratedToken(int Item, int Completion, int Id, TokenLogprobs? Logprobs);
