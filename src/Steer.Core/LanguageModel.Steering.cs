using Steer.Steering;

namespace Steer;

public sealed partial class LanguageModel
{
    /// <summary>
    /// Adds <paramref name="steering"/> to every prompt pass until the returned registration is disposed: the vector
    /// turned into hooks on <see cref="Hooks"/>. The caller applies the short-prompt policy with
    /// <see cref="PrepareForSteering"/> to the ids it then runs.
    /// </summary>
    public IDisposable AddSteering(SteeringVector steering, SteeringOptions? options = null)
    {
        var injector = new SteeringInjector(this, steering, options ?? new SteeringOptions());
        try
        {
            return new SteeringRegistration(injector, Hooks.AddRange(injector.Hooks));
        }
        catch
        {
            injector.Dispose();
            throw;
        }
    }

    /// <summary>Applies the short-prompt policy: a prompt shorter than the vector is refused, padded, or left for truncation.</summary>
    public IReadOnlyList<int> PrepareForSteering(IReadOnlyList<int> prompt, SteeringVector steering, SteeringOptions options)
    {
        var n = steering.Positions;
        if (prompt.Count >= n || options.ShortPrompt == ShortPromptPolicy.Truncate) return prompt;
        if (options.ShortPrompt == ShortPromptPolicy.Error)
            throw new SteerException(ErrorKind.InvalidArgument,
                $"the prompt has {prompt.Count} tokens but the steering vector spans {n} positions; use a longer prompt, " +
                "or --short-prompt pad (spaces after BOS) or truncate (the vector); in the API, \"short_prompt\"");
        return [prompt[0], .. Enumerable.Repeat(options.PadId ?? Tokenizer.PairPadId, n - 1), .. prompt.Skip(1)];
    }
}

/// <summary>The hooks of one steering vector and the tensors they add; disposing it removes both.</summary>
internal sealed class SteeringRegistration(SteeringInjector injector, IDisposable hooks) : IDisposable
{
    public void Dispose()
    {
        hooks.Dispose();
        injector.Dispose();
    }
}
