namespace Steer.Server.Contracts;

/// <summary>OpenAI's error body: <c>{"error":{"message":...,"type":...,"param":...,"code":...}}</c>.</summary>
public sealed record ErrorResponse(ErrorBody Error);

public sealed record ErrorBody(string Message, string Type, string? Param, string? Code);
