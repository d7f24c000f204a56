using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Steer.Server.Http;

/// <summary>The API's JSON: snake_case names as OpenAI's, nulls written (clients expect <c>"logprobs": null</c>), UTF-8 text unescaped.</summary>
internal static class ApiJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        // "1" for an integer is a mistake the client should hear about, not something to guess at.
        NumberHandling = JsonNumberHandling.Strict,
    };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    /// <summary>The raw body, at most <paramref name="limit"/> bytes; an empty body is a 400 that says what to send.</summary>
    public static async Task<byte[]> ReadBytesAsync(HttpContext context, long limit, string expected = "send a vector file")
    {
        if (context.Request.ContentLength > limit) throw TooLarge(limit);
        var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
            {
                if (buffer.Length + read > limit) throw TooLarge(limit);
                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException e)
        {
            throw e.StatusCode == StatusCodes.Status413PayloadTooLarge ? TooLarge(limit) : ApiException.BadRequest($"the request body could not be read: {e.Message}");
        }
        return buffer.Length > 0 ? buffer.ToArray() : throw ApiException.BadRequest($"the request body is empty; {expected}");
    }

    /// <summary>
    /// Reads the body (at most <paramref name="limit"/> bytes) as <typeparamref name="T"/>. Too large is 413; empty,
    /// malformed or wrongly typed JSON is 400 naming the field, so no bad body reaches a handler.
    /// </summary>
    public static async Task<T> ReadBodyAsync<T>(HttpContext context, long limit) where T : class =>
        Bind<T>(await ReadBytesAsync(context, limit, "send a JSON object"));

    /// <summary>A body as <typeparamref name="T"/>; null, malformed or wrongly typed JSON is 400 naming the field.</summary>
    public static T Bind<T>(byte[] body) where T : class
    {
        if (HasUnreadableString(body))
            throw ApiException.BadRequest("the request body is not valid JSON: a string in it is not valid UTF-8, or escapes half of a surrogate pair");
        try
        {
            return JsonSerializer.Deserialize<T>(body, Options)
                ?? throw ApiException.BadRequest("the request body is null; send a JSON object");
        }
        catch (JsonException e)
        {
            var param = ParamOf(e.Path);
            throw e.Message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal) && param is not null
                ? ApiException.BadRequest($"'{param}' has a value of the wrong type", param)
                : ApiException.BadRequest($"the request body is not a valid JSON object: {e.Message}", param);
        }
    }

    /// <summary>
    /// System.Text.Json binds invalid UTF-8 and lone surrogate escapes (<c>"\ud800"</c>) without complaint, and throws
    /// InvalidOperationException when such a string is read: while binding, or later in a handler that reads a JsonElement
    /// field, either way a 500. One pass over the body's strings first makes it the client's 400.
    /// </summary>
    private static bool HasUnreadableString(byte[] body)
    {
        var reader = new Utf8JsonReader(body);
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName) reader.GetString();
            }
            return false;
        }
        catch (JsonException)
        {
            return false; // malformed: the deserializer reports it, with the place
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }

    /// <summary>"$.steering.additions[0].coeff" → "steering.additions[0].coeff"; null for the root.</summary>
    private static string? ParamOf(string? path) => path is null or "$" ? null : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path;

    private static ApiException TooLarge(long limit) =>
        new(StatusCodes.Status413PayloadTooLarge, "invalid_request_error", $"the request body is larger than the server's limit of {limit} bytes");
}
