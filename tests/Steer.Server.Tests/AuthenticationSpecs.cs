using System.Net;
using System.Net.Http.Headers;
using Steer.Server.Tests.Infrastructure;

namespace Steer.Server.Tests;

/// <summary>With an API key, every /v1 route needs <c>Authorization: Bearer KEY</c>; /healthz, /metrics and the playground stay open.</summary>
public sealed class AuthenticationSpecs(TestModel model) : IClassFixture<TestModel>
{
    private const string Key = "sk-test-0123456789";

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer wrong-key")]
    [InlineData("Bearer sk-test-012345678")]          // a prefix of the key
    [InlineData("Basic c2stdGVzdC0wMTIzNDU2Nzg5")]  // the key, but not as a bearer token
    public async Task A_request_without_the_right_key_gets_401_in_OpenAIs_shape(string? authorization)
    {
        // Arrange
        await using var server = await RealServer.StartAsync(model, new ServerOptions { ApiKey = Key });
        using var client = server.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = new StringContent("""{"prompt":"Hi","max_tokens":2}""") };
        if (authorization is not null) request.Headers.TryAddWithoutValidation("Authorization", authorization);

        // Act
        var response = await client.SendAsync(request);
        var result = new ApiResult(response.StatusCode, await response.Content.ReadAsStringAsync(), response);

        // Assert
        var error = result.ShouldBeError(HttpStatusCode.Unauthorized, "invalid_request_error", "API key");
        error.GetProperty("code").GetString().ShouldBe("invalid_api_key");
        error.GetProperty("param").ValueKind.ShouldBe(System.Text.Json.JsonValueKind.Null);
        response.Headers.WwwAuthenticate.ShouldHaveSingleItem().Scheme.ShouldBe("Bearer");
        result.Body.ShouldNotContain(Key);
        result.Body.ShouldNotContain("wrong-key");
    }

    [Fact]
    public async Task The_right_key_opens_every_v1_route_and_the_open_routes_need_none()
    {
        // Arrange
        await using var server = await RealServer.StartAsync(model, new ServerOptions { ApiKey = Key });
        using var authorized = server.CreateClient(Key);
        using var anonymous = server.CreateClient();

        // Act
        var completion = await authorized.PostAsync("/v1/completions", new { prompt = "Hi", max_tokens = 2 });
        var models = await authorized.GetJsonAsync("/v1/models");
        var unknownWithKey = await authorized.GetJsonAsync("/v1/no-such-route");
        var unknownWithout = await anonymous.GetJsonAsync("/v1/no-such-route");
        var modelsWithout = await anonymous.GetJsonAsync("/v1/models");
        var chatWithout = await anonymous.PostAsync("/v1/chat/completions", new { messages = new[] { new { role = "user", content = "Hi" } } });
        var health = await anonymous.GetJsonAsync("/healthz");
        var metrics = await anonymous.GetJsonAsync("/metrics");
        var playground = await anonymous.GetJsonAsync("/");

        // Assert
        completion.Status.ShouldBe(HttpStatusCode.OK, completion.Body);
        models.Status.ShouldBe(HttpStatusCode.OK, models.Body);
        unknownWithKey.Status.ShouldBe(HttpStatusCode.NotFound);
        unknownWithout.Status.ShouldBe(HttpStatusCode.Unauthorized);   // no probing for routes without the key
        modelsWithout.Status.ShouldBe(HttpStatusCode.Unauthorized);
        chatWithout.Status.ShouldBe(HttpStatusCode.Unauthorized);
        health.Status.ShouldBe(HttpStatusCode.OK);
        metrics.Status.ShouldBe(HttpStatusCode.OK);
        playground.Status.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Without_a_key_the_loopback_api_is_open()
    {
        // Arrange
        await using var server = await RealServer.StartAsync(model);
        using var client = server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "anything");

        // Act
        var models = await client.GetJsonAsync("/v1/models");

        // Assert
        models.Status.ShouldBe(HttpStatusCode.OK, models.Body);
    }

    [Theory]
    [InlineData("0.0.0.0", null, false, false)]
    [InlineData("::", null, false, false)]
    [InlineData("192.168.1.20", null, false, false)]
    [InlineData("0.0.0.0", Key, false, true)]
    [InlineData("0.0.0.0", null, true, true)]
    [InlineData("127.0.0.1", null, false, true)]
    [InlineData("127.1.2.3", null, false, true)]
    [InlineData("::1", null, false, true)]
    [InlineData("localhost", null, false, true)]
    public void Only_loopback_may_be_bound_without_a_key_unless_insecure_is_asked_for(string host, string? key, bool insecure, bool allowed)
    {
        // Arrange
        var options = new ServerOptions { Host = host, ApiKey = key, InsecureNoAuth = insecure };

        // Act
        var error = Record.Exception(() => options.Validate());

        // Assert
        if (allowed)
        {
            error.ShouldBeNull();
        }
        else
        {
            var steer = error.ShouldBeOfType<SteerException>();
            steer.Kind.ShouldBe(ErrorKind.InvalidArgument);
            steer.Message.ShouldContain("--api-key");
            steer.Message.ShouldContain("--insecure-no-auth");
        }
    }

    [Fact]
    public void The_options_printout_never_shows_the_key()
    {
        // Act
        var printed = new ServerOptions { ApiKey = Key }.ToString();

        // Assert
        printed.ShouldNotContain(Key);
        printed.ShouldContain("ApiKey = (set)");
    }
}
