namespace Steer.Steering;

/// <summary>Which positions of the prompt receive the vector.</summary>
public enum InjectionLocation
{
    /// <summary>Positions [0, n): steering token k on prompt token k, BOS on BOS (the post's choice).</summary>
    Front,
    /// <summary>Centred on the middle of the prompt: [S/2 − n/2, S/2 + n − n/2).</summary>
    Mid,
    /// <summary>The last n positions of the prompt.</summary>
    Back,
}

/// <summary>What to do when a prompt has fewer tokens than the vector spans.</summary>
public enum ShortPromptPolicy
{
    /// <summary>Refuse, naming both lengths (the original code's assertion).</summary>
    Error,
    /// <summary>Insert n − 1 pair pad tokens (GPT-2: spaces) after the prompt's first token (BOS), the original "pad" injection mode.</summary>
    Pad,
    /// <summary>Add only the first positions of the vector that fit (the code's behaviour of April 2023).</summary>
    Truncate,
}

/// <summary>How a steering vector is applied.</summary>
public sealed record SteeringOptions
{
    public InjectionLocation Location { get; init; } = InjectionLocation.Front;

    public ShortPromptPolicy ShortPrompt { get; init; } = ShortPromptPolicy.Error;

    /// <summary>The token <see cref="ShortPromptPolicy.Pad"/> inserts; null is the tokenizer's pair pad token (GPT-2: the space).</summary>
    public int? PadId { get; init; }

    /// <summary>Which positions every component reaches, overriding each component's own <see cref="SteeringComponent.Mode"/>; null keeps them.</summary>
    public PositionMode? Positions { get; init; }

    /// <summary>Add the vector, or ablate its direction.</summary>
    public SteeringOperator Operator { get; init; } = SteeringOperator.Add;

    /// <summary>
    /// Never steer a position holding a special token (the tokenizer's <see cref="Tokenization.ITokenizer.SpecialIds"/>: chat
    /// template tokens such as <c>&lt;|im_start|&gt;</c>, BOS, EOS), in the prompt and in the generated tokens alike.
    /// </summary>
    public bool SkipSpecialTokens { get; init; }

    /// <summary>Only residual dimensions [start, end) receive the vector (the "first n% of dimensions" experiment); null is all.</summary>
    public (int Start, int End)? Dimensions { get; init; }

    /// <summary>An injection location by name (front, mid or back, any case); <paramref name="name"/> is how the caller calls the setting.</summary>
    public static InjectionLocation ParseLocation(string text, string name = "location") =>
        ParseEnum<InjectionLocation>(text, name, "front, mid or back");

    /// <summary>A short-prompt policy by name (error, pad or truncate, any case).</summary>
    public static ShortPromptPolicy ParseShortPrompt(string text, string name = "short prompt") =>
        ParseEnum<ShortPromptPolicy>(text, name, "error, pad or truncate");

    /// <summary>A position mode by name (front, prompt, generated, all or assistant, any case).</summary>
    public static PositionMode ParsePositions(string text, string name = "positions") =>
        ParseEnum<PositionMode>(text, name, "front, prompt, generated, all or assistant");

    /// <summary>An operator by name (add or ablate, any case).</summary>
    public static SteeringOperator ParseOperator(string text, string name = "operator") =>
        ParseEnum<SteeringOperator>(text, name, "add or ablate");

    /// <summary>A value by its name only: Enum.TryParse would also take numbers ("1") and combinations ("front,back").</summary>
    private static T ParseEnum<T>(string text, string name, string valid) where T : struct, Enum =>
        Enum.GetNames<T>().FirstOrDefault(n => n.Equals(text, StringComparison.OrdinalIgnoreCase)) is { } match
            ? Enum.Parse<T>(match)
            : throw new SteerException(ErrorKind.InvalidArgument, $"{name} '{text}': use {valid}");
}
