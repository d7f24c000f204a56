using System.Reflection;
using PublicApiGenerator;

namespace Steer.Tests;

/// <summary>
/// Approves an assembly's public API against <c>Approvals/NAME.approved.txt</c> in the test project, so that every
/// change to it shows up in review. On a difference the received API is written beside the approved file, ready to
/// be inspected and copied over it.
/// </summary>
internal static class PublicApiApproval
{
    public static void Verify(Assembly assembly, string testProjectDirectoryName)
    {
        var received = assembly.GeneratePublicApi(new ApiGeneratorOptions { IncludeAssemblyAttributes = false }).ReplaceLineEndings("\n");
        var name = assembly.GetName().Name!;
        var approvedPath = Path.Combine(AppContext.BaseDirectory, "Approvals", name + ".approved.txt");
        var approved = File.Exists(approvedPath) ? File.ReadAllText(approvedPath).ReplaceLineEndings("\n") : "";
        if (received == approved) return;
        var receivedPath = Path.Combine(SourceDirectory(testProjectDirectoryName) ?? AppContext.BaseDirectory, "Approvals", name + ".received.txt");
        Directory.CreateDirectory(Path.GetDirectoryName(receivedPath)!);
        File.WriteAllText(receivedPath, received);
        var firstDifference = received.Split('\n').Zip(approved.Split('\n')).Select((pair, line) => (pair, line))
            .FirstOrDefault(p => p.pair.First != p.pair.Second);
        throw new ShouldAssertException(
            $"The public API of {name} changed. Review {receivedPath} and, if the change is meant, copy it over " +
            $"Approvals/{name}.approved.txt. First difference at line {firstDifference.line + 1}: " +
            $"received '{firstDifference.pair.First}', approved '{firstDifference.pair.Second}'.");
    }

    /// <summary>The test project's source folder, found above the test binaries; null outside a clone.</summary>
    private static string? SourceDirectory(string testProjectDirectoryName)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (directory.Name == testProjectDirectoryName && File.Exists(Path.Combine(directory.FullName, testProjectDirectoryName + ".csproj")))
                return directory.FullName;
        return null;
    }
}
