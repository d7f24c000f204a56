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

    [Fact]
    public async Task Serve_answers_on_the_port_it_prints_and_exits_0_when_stopped()
    {
        // Arrange
        var outputText = new StringWriter();
        var output = TextWriter.Synchronized(outputText);
        var error = TextWriter.Synchronized(new StringWriter());
        string Printed()
        {
            lock (output) return outputText.ToString();   // the synchronized writer locks on itself
        }
        using var stop = new CancellationTokenSource();
        var serving = Task.Run(() => SteerCli.Run(["serve", "--model", model.Path, "--port", "0"], new CliContext(output, error, Cancellation: stop.Token)));
        Match address;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!(address = ServingLine().Match(Printed())).Success)
        {
            if (serving.IsCompleted || DateTime.UtcNow > deadline) throw new InvalidOperationException($"steer serve did not start: {Printed()}");
            await Task.Delay(20);
        }
        using var client = new HttpClient { BaseAddress = new Uri(address.Groups[1].Value) };

        // Act
        var health = await client.HealthAsync();
        var completion = await client.PostAsync("/v1/completions", new { prompt = "Hello", max_tokens = 3 });
        await stop.CancelAsync();
        var exitCode = await serving.WaitAsync(TimeSpan.FromSeconds(60));

        // Assert
        address.Groups[1].Value.ShouldStartWith("http://127.0.0.1:");
        health.GetProperty("model").GetString().ShouldBe(model.Path);
        completion.Status.ShouldBe(HttpStatusCode.OK);
        exitCode.ShouldBe(0, error.ToString());
    }

    [Theory]
    [InlineData("--host", "my-laptop", "--host 'my-laptop': give an IP address")]
    [InlineData("--port", "70000", "--port must be in 0..65535")]
    [InlineData("--max-n", "0", "--max-n must be at least 1")]
    [InlineData("--timeout", "-1", "--timeout must be a positive number of seconds")]
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
    public void Serve_help_lists_the_address_and_the_limits()
    {
        // Act
        var (exitCode, output, _) = Run("serve", "--help");

        // Assert
        exitCode.ShouldBe(0);
        foreach (var option in new[] { "--model", "--host", "--port", "--max-tokens", "--max-n", "--max-batch", "--max-queue", "--timeout" })
            output.ShouldContain(option);
    }

    [GeneratedRegex(@"steer: serving .* at (http://[^ ]+)/v1 ")]
    private static partial Regex ServingLine();
}
