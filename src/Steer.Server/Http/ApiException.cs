using Steer.Server.Contracts;

namespace Steer.Server.Http;

/// <summary>An error answered in OpenAI's shape, <c>{"error":{"message","type","param","code"}}</c>, with an HTTP status.</summary>
internal sealed class ApiException(int status, string type, string message, string? param = null, string? code = null) : Exception(message)
{
    public int Status { get; } = status;

    public ErrorResponse Body => new(new ErrorBody(Message, type, param, code));

    public static ApiException BadRequest(string message, string? param = null, string? code = null) =>
        new(StatusCodes.Status400BadRequest, "invalid_request_error", message, param, code);

    public static ApiException NotFound(string message, string? param = null, string code = "not_found") =>
        new(StatusCodes.Status404NotFound, "invalid_request_error", message, param, code);

    /// <summary>
    /// A <see cref="SteerException"/> from the library: the user's input (bad value, unknown name, a file that is not
    /// a vector) is a 400 like any bad input; only the machine's own trouble (<see cref="ErrorKind.Environment"/>) is a 500.
    /// </summary>
    public static ApiException From(SteerException e, string? param = null) => e.Kind switch
    {
        ErrorKind.Environment => new(StatusCodes.Status500InternalServerError, "server_error", e.Message),
        ErrorKind.NotFound => BadRequest(e.Message, param, "not_found"),
        _ => BadRequest(e.Message, param),
    };
}
