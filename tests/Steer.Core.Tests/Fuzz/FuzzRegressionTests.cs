using Steer.Fuzz;
using Steer.Tests.IO;

namespace Steer.Tests.Fuzz;

/// <summary>
/// Replays every input the fuzzers (fuzz/run.sh) found a bug with, and their seed corpora, through the same calls
/// the harness makes: each must be accepted or rejected with a SteerException, quickly, never anything else.
/// </summary>
public class FuzzRegressionTests
{
    /// <summary>Generous for a parser, since the first input of a run also pays for loading libtorch.</summary>
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    public static TheoryData<string, string> Inputs()
    {
        var data = new TheoryData<string, string>();
        foreach (var set in new[] { "fuzz-regressions", "fuzz-corpus" })
        {
            var root = Path.Combine(AppContext.BaseDirectory, "TestData", set);
            foreach (var target in CoreTargets.All.Keys.Where(t => Directory.Exists(Path.Combine(root, t))))
                foreach (var file in Directory.GetFiles(Path.Combine(root, target)).Order(StringComparer.Ordinal))
                    data.Add(target, Path.GetRelativePath(AppContext.BaseDirectory, file));
        }
        return data;
    }

    [Fact]
    public void There_are_regression_inputs_for_the_bugs_found() =>
        Inputs().Count(row => ((string)row[1]).Contains("fuzz-regressions", StringComparison.Ordinal)).ShouldBeGreaterThan(0);

    [Theory]
    [MemberData(nameof(Inputs))]
    public async Task Each_input_is_parsed_or_rejected_with_a_SteerException(string target, string file)
    {
        using var scratch = new TempDirectory();
        var input = await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, file));
        // Any exception other than SteerException escapes Run and fails the test with its stack trace.
        var run = Task.Run(() => CoreTargets.Run(target, input, scratch.Path));
        (await Task.WhenAny(run, Task.Delay(Limit))).ShouldBe(run, $"{file} took more than {Limit.TotalSeconds} s");
        await run;
    }
}
