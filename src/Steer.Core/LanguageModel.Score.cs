using Steer.Steering;
using TorchSharp;
using static TorchSharp.torch;

namespace Steer;

/// <summary>How well a model predicts a sequence.</summary>
/// <param name="Ids">The scored tokens.</param>
/// <param name="TokenLogprobs">Entry t is log p(ids[t+1] | ids[..t]), so there is one fewer than there are ids.</param>
/// <param name="Perplexity">exp of the mean negative log-probability.</param>
public sealed record ScoreResult(IReadOnlyList<int> Ids, IReadOnlyList<double> TokenLogprobs, double Perplexity);

public sealed partial class LanguageModel
{
    /// <summary>Per-token log-probabilities of <paramref name="text"/> (with BOS), steered when a vector is given.</summary>
    public ScoreResult Score(string text, SteeringVector? steering = null, SteeringOptions? steeringOptions = null) =>
        Score(Tokenizer.Encode(text), steering, steeringOptions);

    /// <summary>
    /// Per-token log-probabilities and perplexity of <paramref name="ids"/> (at least two tokens), steered when a
    /// vector is given (the short-prompt policy may insert pad tokens, which are then scored too).
    /// </summary>
    public ScoreResult Score(IReadOnlyList<int> ids, SteeringVector? steering = null, SteeringOptions? steeringOptions = null)
    {
        if (steering is not null)
        {
            steeringOptions ??= new SteeringOptions();
            ids = PrepareForSteering(ids, steering, steeringOptions);
        }
        if (ids.Count < 2)
            throw new SteerException(ErrorKind.InvalidArgument, "scoring needs at least two tokens (the first one is only context)");
        using var scope = NewDisposeScope();
        using var steered = steering is null ? null : AddSteering(steering, steeringOptions);
        using var logits = Logits(ids);                                             // [pos, vocab]
        var targets = tensor(ids.Skip(1).Select(i => (long)i).ToArray(), ScalarType.Int64, logits.device).unsqueeze(1);
        var logprobs = logits.narrow(0, 0, ids.Count - 1).log_softmax(-1)
            .gather(1, targets).squeeze(1).to(ScalarType.Float64).cpu().data<double>().ToArray();
        return new ScoreResult(ids, logprobs, Math.Exp(-logprobs.Average()));
    }
}
