namespace Steer.Tests.Deploy;

/// <summary>The checkout the tests run from: the deployment tests read its scripts, manifests and Dockerfile.</summary>
internal static class RepositoryRoot
{
    public static readonly string Path = Find();

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(System.IO.Path.Combine(directory.FullName, "Steer.slnx"))) return directory.FullName;
        throw new InvalidOperationException($"no Steer.slnx above {AppContext.BaseDirectory}");
    }
}
