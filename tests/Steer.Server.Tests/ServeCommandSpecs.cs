using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Steer.Cli;
using Steer.Server.Tests.Infrastructure;

namespace Steer.Server.Tests;

/// <summary><c>steer serve</c>: starts the server on the given address, answers, and stops on request; bad options exit 2.</summary>
public sealed partial class ServeCommandSpecs(TestModel model) : IClassFixture<TestModel>
{
    private static (int ExitCode, string Output, string Error) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = SteerCli.Run(args, new CliContext(output, error));
        return (exitCode, output.ToString(), error.ToString());
    }

    /// <summary>A running <c>steer serve</c>: its address once it printed it, and how to stop it.</summary>
    private sealed class Serving(Task<int> run, CancellationTokenSource stop, TextWriter error, string address) : IDisposable
    {
        public string Address => address;

        public string Error => error.ToString()!;

        public HttpClient CreateClient(string? apiKey = null)
        {
            var client = new HttpClient { BaseAddress = new Uri(address) };
            if (apiKey is not null) client.DefaultRequestHeaders.Authorization = new("Bearer", apiKey);
            return client;
        }

        public async Task<int> StopAsync()
        {
            await stop.CancelAsync();
            return await run.WaitAsync(TimeSpan.FromSeconds(60));
        }

        public void Dispose()
        {
            stop.Cancel();
            run.Wait(TimeSpan.FromSeconds(60));
            stop.Dispose();
        }
    }

    private static async Task<Serving> StartAsync(params string[] args)
    {
        var outputText = new StringWriter();
        var output = TextWriter.Synchronized(outputText);
        var error = TextWriter.Synchronized(new StringWriter());
        string Printed()
        {
            lock (output) return outputText.ToString();   // the synchronized writer locks on itself
        }
        var stop = new CancellationTokenSource();
        var serving = Task.Run(() => SteerCli.Run(["serve", .. args, "--port", "0"], new CliContext(output, error, Cancellation: stop.Token)));
        Match address;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!(address = ServingLine().Match(Printed())).Success)
        {
            if (serving.IsCompleted || DateTime.UtcNow > deadline) throw new InvalidOperationException($"steer serve did not start: {Printed()} {error}");
            await Task.Delay(20);
        }
        return new Serving(serving, stop, error, address.Groups[1].Value);
    }

    [Fact]
    public async Task Serve_answers_on_the_port_it_prints_and_exits_0_when_stopped()
    {
        // Arrange
        using var serving = await StartAsync("--model", model.Path);
        using var client = serving.CreateClient();

        // Act
        var health = await client.HealthAsync();
        var completion = await client.PostAsync("/v1/completions", new { prompt = "Hello", max_tokens = 3 });
        var exitCode = await serving.StopAsync();

        // Assert
        serving.Address.ShouldStartWith("http://127.0.0.1:");
        health.GetProperty("model").GetString().ShouldBe(model.Path);
        completion.Status.ShouldBe(HttpStatusCode.OK);
        exitCode.ShouldBe(0, serving.Error);
    }

    [Fact]
    public async Task The_api_key_comes_from_the_flag_or_else_from_STEER_API_KEY()
    {
        // Arrange: this class's tests run one at a time, and no other class runs steer serve, so the variable is ours.
        Environment.SetEnvironmentVariable("STEER_API_KEY", "env-key");
        try
        {
            using var fromEnvironment = await StartAsync("--model", model.Path);
            using var fromFlag = await StartAsync("--model", model.Path, "--api-key", "flag-key");
            using var envClient = fromEnvironment.CreateClient("env-key");
            using var anonymous = fromEnvironment.CreateClient();
            using var flagClient = fromFlag.CreateClient("flag-key");
            using var envKeyOnFlagServer = fromFlag.CreateClient("env-key");

            // Act
            var withEnvKey = await envClient.GetJsonAsync("/v1/models");
            var withoutKey = await anonymous.GetJsonAsync("/v1/models");
            var withFlagKey = await flagClient.GetJsonAsync("/v1/models");
            var envKeyAgainstFlag = await envKeyOnFlagServer.GetJsonAsync("/v1/models");

            // Assert
            withEnvKey.Status.ShouldBe(HttpStatusCode.OK);
            withoutKey.Status.ShouldBe(HttpStatusCode.Unauthorized);
            withFlagKey.Status.ShouldBe(HttpStatusCode.OK);
            envKeyAgainstFlag.Status.ShouldBe(HttpStatusCode.Unauthorized);
            (await fromEnvironment.StopAsync()).ShouldBe(0);
            (await fromFlag.StopAsync()).ShouldBe(0);
            fromEnvironment.Error.ShouldNotContain("env-key");
            fromFlag.Error.ShouldNotContain("flag-key");
        }
        finally
        {
            Environment.SetEnvironmentVariable("STEER_API_KEY", null);
        }
    }

    [Theory]
    [InlineData("--host", "my-laptop", "--host 'my-laptop': give an IP address")]
    [InlineData("--port", "70000", "--port must be in 0..65535")]
    [InlineData("--max-n", "0", "--max-n must be at least 1")]
    [InlineData("--timeout", "-1", "--timeout must be a positive number of seconds")]
    [InlineData("--host", "0.0.0.0", "--host 0.0.0.0 is reachable from other machines")]
    [InlineData("--host", "::", "give --api-key (or STEER_API_KEY), or --insecure-no-auth")]
    [InlineData("--shutdown-timeout", "-1", "--shutdown-timeout must be a number of seconds, 0 or more")]
    [InlineData("--shutdown-timeout", "NaN", "--shutdown-timeout needs a finite number, got 'NaN'")]
    [InlineData("--api-key", "two words", "--api-key must be a non-empty key without spaces")]
    [InlineData("--vector-dir", "", "--vector-dir must name a directory")]
    public void Bad_serve_options_exit_2_with_a_message(string option, string value, string message)
    {
        // Act
        var (exitCode, output, error) = Run("serve", "--model", model.Path, option, value);

        // Assert
        exitCode.ShouldBe(2, error);
        output.ShouldBeEmpty();
        error.ShouldContain(message);
    }

    [Fact]
    public void A_port_already_in_use_exits_5_naming_the_address()
    {
        // Arrange
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        // Act
        var (exitCode, _, error) = Run("serve", "--model", model.Path, "--port", port.ToString());

        // Assert
        exitCode.ShouldBe(5, error);
        error.ShouldContain($"cannot listen on 127.0.0.1:{port}");
    }

    [Fact]
    public async Task Insecure_no_auth_allows_binding_every_address_without_a_key()
    {
        // Arrange
        using var serving = await StartAsync("--model", model.Path, "--host", "0.0.0.0", "--insecure-no-auth");
        var port = new Uri(serving.Address).Port;
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        // Act
        var models = await client.GetJsonAsync("/v1/models");

        // Assert
        serving.Address.ShouldStartWith("http://0.0.0.0:");
        models.Status.ShouldBe(HttpStatusCode.OK);
        (await serving.StopAsync()).ShouldBe(0, serving.Error);
    }

    [Fact]
    public void A_vector_directory_whose_vector_does_not_load_exits_4_naming_the_file()
    {
        // Arrange
        var directory = Path.Combine(Path.GetTempPath(), "steer-serve-vectors-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "vec_bad.json"), "{ not json");
        try
        {
            // Act
            var (exitCode, output, error) = Run("serve", "--model", model.Path, "--port", "0", "--vector-dir", directory);

            // Assert
            exitCode.ShouldBe(4, error);
            output.ShouldBeEmpty();
            error.ShouldContain(Path.Combine(directory, "vec_bad.json"));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Serve_help_lists_the_address_and_the_limits()
    {
        // Act
        var (exitCode, output, _) = Run("serve", "--help");

        // Assert
        exitCode.ShouldBe(0);
        foreach (var option in new[] { "--model", "--host", "--port", "--max-tokens", "--max-n", "--max-batch", "--max-queue", "--timeout",
                     "--api-key", "--insecure-no-auth", "--log-prompts", "--vector-dir", "--shutdown-timeout" })
            output.ShouldContain(option);
    }

    [GeneratedRegex(@"steer: serving .* at (http://[^ ]+)/v1 ")]
    private static partial Regex ServingLine();
}
