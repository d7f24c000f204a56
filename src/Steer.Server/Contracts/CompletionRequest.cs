using System.Text.Json;

namespace Steer.Server.Contracts;

/// <summary>
/// The body of <c>POST /v1/completions</c>: OpenAI's legacy completions fields, plus <c>top_k</c> and a
/// per-request <c>steering</c> object. Polymorphic fields (prompt, stop) stay JSON until validated.
/// </summary>
public sealed record CompletionRequest
{
    public string? Model { get; init; }

    /// <summary>A string, a list of strings, a list of token ids, or a list of lists of token ids.</summary>
    public JsonElement? Prompt { get; init; }

    public int? MaxTokens { get; init; }
    public double? Temperature { get; init; }
    public double? TopP { get; init; }
    public int? TopK { get; init; }
    public double? FrequencyPenalty { get; init; }
    public double? PresencePenalty { get; init; }
    public int? N { get; init; }
    public long? Seed { get; init; }

    /// <summary>A string or a list of up to 4 strings.</summary>
    public JsonElement? Stop { get; init; }

    public int? Logprobs { get; init; }
    public bool? Stream { get; init; }
    public StreamOptions? StreamOptions { get; init; }

    // Accepted so that clients which send their defaults work; anything else is refused as unsupported.
    public bool? Echo { get; init; }
    public int? BestOf { get; init; }
    public string? Suffix { get; init; }
    public JsonElement? LogitBias { get; init; }

    public SteeringRequest? Steering { get; init; }
}

public sealed record StreamOptions
{
    /// <summary>Send one last chunk with the usage before <c>[DONE]</c>.</summary>
    public bool? IncludeUsage { get; init; }
}
