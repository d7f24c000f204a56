using Steer.Steering;
using TorchSharp;
using static TorchSharp.torch;

namespace Steer.Evaluation;

/// <summary>The next-token distribution at one position of a prompt, without and with steering (the post's §5.1).</summary>
public static class NextTokenShift
{
    /// <param name="position">Index into <paramref name="ids"/> (BOS is 0); negative counts from the end; null is the last position.</param>
    /// <returns>The position used (non-negative) and the shift of the distribution predicted from it.</returns>
    public static (int Position, DistributionShift Shift) Measure(LanguageModel model, IReadOnlyList<int> ids, SteeringVector vector,
        SteeringOptions? options = null, int? position = null, int topK = 10)
    {
        options ??= new SteeringOptions();
        var index = position ?? ids.Count - 1;
        if (index < 0) index += ids.Count;
        if (index < 0 || index >= ids.Count)
            throw new SteerException(ErrorKind.InvalidArgument, $"position {position} is outside the prompt's {ids.Count} tokens (0..{ids.Count - 1}, or negative from the end)");
        var steeredIds = model.PrepareForSteering(ids, vector, options);
        // The short-prompt policy may insert pads after BOS; every later token moves by as many positions.
        var steeredIndex = index == 0 ? 0 : index + steeredIds.Count - ids.Count;
        var unsteered = LogProbabilities(model, ids, index);
        double[] steered;
        using (model.AddSteering(vector, options))
            steered = LogProbabilities(model, steeredIds, steeredIndex);
        return (index, DistributionShift.Compare(unsteered, steered, topK, model.Tokenizer.TokenText));
    }

    /// <returns>log p(· | ids[..position]) over the vocabulary, in float64</returns>
    private static double[] LogProbabilities(LanguageModel model, IReadOnlyList<int> ids, int position)
    {
        using var scope = NewDisposeScope();
        using var logits = model.Logits(ids);                                 // [pos, vocab]
        return logits[position].to(ScalarType.Float64).log_softmax(-1).cpu().data<double>().ToArray();
    }
}
