using Steer.Generation;
using Steer.Steering;

namespace Steer.Chat;

/// <summary>The assistant's reply to a conversation.</summary>
/// <param name="Reply">The reply's text, up to (without) the end-of-turn token, as a chat client shows it.</param>
/// <param name="Ids">Every generated id, the end-of-turn token included when the model wrote it.</param>
/// <param name="FinishReason">"stop" when the model ended its turn, "length" when the token budget ran out.</param>
/// <param name="Seed">The seed the reply was drawn with (the options' own, or one drawn when they had none).</param>
public sealed record ChatReply(string Reply, IReadOnlyList<int> Ids, string FinishReason, long Seed);

/// <summary>
/// One assistant turn: the conversation through the model's template, one completion generated (steered when a
/// vector is given, <see cref="PositionMode.Assistant"/> from the reply's header), ending at the model's stop ids.
/// What <c>steer chat</c> runs for each message.
/// </summary>
public static class ChatTurn
{
    /// <param name="onText">Receives the reply's text as it is decoded (a character split across tokens arrives whole), for streaming.</param>
    /// <param name="cancellationToken">Checked between decoding steps.</param>
    public static ChatReply Generate(LanguageModel model, ChatPromptIds prompt, GenerationOptions options, SteeringVector? steering = null,
        SteeringOptions? steeringOptions = null, Action<string>? onText = null, CancellationToken cancellationToken = default)
    {
        options = options with { Count = 1 };
        var item = new GenerationItem(prompt.Ids, options) { Steering = steering, SteeringOptions = steeringOptions, ReplyStart = prompt.ReplyStart };
        var decoder = model.Tokenizer.CreateIncrementalDecoder();
        var result = model.GenerateMany([item], onText is null ? null : token =>
        {
            if (!model.StopIds.Contains(token.Id) && decoder.Push(token.Id) is { Length: > 0 } piece) onText(piece);
            return true;
        }, cancellationToken)[0];
        if (onText is not null && decoder.Flush() is { Length: > 0 } rest) onText(rest);
        var ids = result.Completions.Single();
        var stopped = ids.Length > 0 && model.StopIds.Contains(ids[^1]);
        var reply = model.Tokenizer.Decode(stopped ? ids.Take(ids.Length - 1) : ids);
        return new ChatReply(reply, ids, stopped ? "stop" : "length", result.Seed);
    }
}
