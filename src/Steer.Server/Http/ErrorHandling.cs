using Steer.Server.Contracts;

namespace Steer.Server.Http;

/// <summary>
/// Turns every failure into OpenAI's error shape: <see cref="ApiException"/> and <see cref="SteerException"/> with
/// their status, anything else as a 500 with a generic message (the details go to the log), and bodiless errors
/// from routing (404, 405) get a JSON body too.
/// </summary>
internal static class ErrorHandling
{
    public static IApplicationBuilder UseApiErrors(this IApplicationBuilder app)
    {
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                // The client went away: there is no one to answer.
            }
            catch (Exception e) when (!context.Response.HasStarted)
            {
                var error = e switch
                {
                    ApiException api => api,
                    SteerException steer => ApiException.From(steer),
                    BadHttpRequestException bad => new ApiException(bad.StatusCode, "invalid_request_error", $"bad request: {bad.Message}"),
                    _ => null,
                };
                if (error is null)
                {
                    context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Steer.Server")
                        .LogError(e, "unhandled error in {Method} {Path}", context.Request.Method, context.Request.Path);
                    error = new ApiException(StatusCodes.Status500InternalServerError, "server_error", "the server had an internal error");
                }
                await WriteAsync(context, error);
            }
        });
        app.UseStatusCodePages(async pages =>
        {
            var response = pages.HttpContext.Response;
            var message = response.StatusCode switch
            {
                StatusCodes.Status404NotFound => $"no such endpoint: {pages.HttpContext.Request.Method} {pages.HttpContext.Request.Path}",
                StatusCodes.Status405MethodNotAllowed => $"{pages.HttpContext.Request.Method} is not allowed on {pages.HttpContext.Request.Path}",
                _ => $"HTTP {response.StatusCode}",
            };
            var type = response.StatusCode >= 500 ? "server_error" : "invalid_request_error";
            await WriteAsync(pages.HttpContext, new ApiException(response.StatusCode, type, message));
        });
        return app;
    }

    public static async Task WriteAsync(HttpContext context, ApiException error)
    {
        context.Response.StatusCode = error.Status;
        context.Response.ContentType = "application/json; charset=utf-8";
        if (error.Status == StatusCodes.Status429TooManyRequests) context.Response.Headers.RetryAfter = "1";
        await context.Response.WriteAsync(ApiJson.Serialize<ErrorResponse>(error.Body), context.RequestAborted);
    }
}
