namespace Steer.Chat;

/// <summary>One message of a conversation, e.g. ("user", "Hi"); the roles are the template's (system, user, assistant, ...).</summary>
public sealed record ChatMessage(string Role, string Content);

/// <summary>A conversation tokenized for the assistant's reply.</summary>
/// <param name="Ids">The rendered conversation with the assistant cue, tokenized without added special tokens.</param>
/// <param name="ReplyStart">Index in <paramref name="Ids"/> where the assistant's turn begins (its header); what steering positions <c>assistant</c> starts from.</param>
public sealed record ChatPromptIds(IReadOnlyList<int> Ids, int ReplyStart);
