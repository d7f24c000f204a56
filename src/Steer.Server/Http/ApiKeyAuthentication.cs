using System.Security.Cryptography;
using System.Text;

namespace Steer.Server.Http;

/// <summary>
/// <c>Authorization: Bearer KEY</c> on every route under /v1 when the server has a key. It goes by path, not by
/// endpoint, so that routes added later and unknown /v1 paths are covered too; /healthz, /metrics and the
/// playground stay open.
/// </summary>
internal static class ApiKeyAuthentication
{
    private const string Scheme = "Bearer ";

    public static IApplicationBuilder UseApiKeyAuthentication(this IApplicationBuilder app, string? apiKey)
    {
        if (apiKey is null) return app;
        // Hashes have one length whatever the keys', so the comparison takes the same time for every wrong key.
        var expected = SHA256.HashData(Encoding.UTF8.GetBytes(apiKey));
        app.Use(async (context, next) =>
        {
            if (!context.Request.Path.StartsWithSegments("/v1") || Matches(context.Request.Headers.Authorization.ToString(), expected))
            {
                await next(context);
                return;
            }
            context.Response.Headers.WWWAuthenticate = "Bearer";
            // The message never repeats what was sent: a near-miss key in an error body or a log would be a leak.
            await ErrorHandling.WriteAsync(context, new ApiException(StatusCodes.Status401Unauthorized, "invalid_request_error",
                "missing or wrong API key: send the header 'Authorization: Bearer KEY' with the server's key", code: "invalid_api_key"));
        });
        return app;
    }

    private static bool Matches(string header, byte[] expected)
    {
        if (!header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase)) return false;
        var given = SHA256.HashData(Encoding.UTF8.GetBytes(header[Scheme.Length..].Trim()));
        return CryptographicOperations.FixedTimeEquals(given, expected);
    }
}
