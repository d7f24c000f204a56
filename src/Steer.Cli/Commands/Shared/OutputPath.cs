namespace Steer.Cli.Commands.Shared;

/// <summary>Output files checked before any work is done, so that a long run never fails at its last step.</summary>
internal static class OutputPath
{
    /// <summary>
    /// Refuses an output path that cannot be written before any model is loaded: a directory, a path under a file, or a
    /// place without write permission. Creates nothing; missing parent directories are made just before writing.
    /// </summary>
    public static void Check(string path, string option)
    {
        var full = FullPath(path, option);
        if (Directory.Exists(full) || Path.EndsInDirectorySeparator(path))
            throw Invalid(option, path, "is a directory; give a file name such as " + Path.Combine(path, "acts.safetensors"));

        CheckWritableAncestor(path, Path.GetDirectoryName(full), option);
    }

    /// <summary>
    /// Refuses an output directory that cannot be made or written before any work: an existing file, a path under a
    /// file, or a place without write permission. The writer creates the directory itself.
    /// </summary>
    public static void CheckDirectory(string path, string option)
    {
        var full = FullPath(path, option);
        if (File.Exists(full)) throw Invalid(option, path, "is a file; give a directory (it is created if missing)");
        CheckWritableAncestor(path, full, option);
    }

    private static string FullPath(string path, string option)
    {
        if (path.Length == 0) throw Invalid(option, path, "is empty");
        try
        {
            return Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw Invalid(option, path, "is not a valid path");
        }
    }

    /// <summary>The nearest existing ancestor of <paramref name="start"/> must be a directory we may create files (or subdirectories) in.</summary>
    private static void CheckWritableAncestor(string path, string? start, string option)
    {
        var ancestor = start;
        while (ancestor is not null && !Directory.Exists(ancestor))
        {
            if (File.Exists(ancestor)) throw Invalid(option, path, $"cannot be written: '{ancestor}' is a file, not a directory");
            ancestor = Path.GetDirectoryName(ancestor);
        }
        if (ancestor is null) throw Invalid(option, path, "cannot be written: none of its parent directories exists");
        try
        {
            using var probe = new FileStream(Path.Combine(ancestor, $".steer-probe-{Guid.NewGuid():N}.tmp"),
                FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1, FileOptions.DeleteOnClose);
        }
        catch (UnauthorizedAccessException)
        {
            throw Invalid(option, path, $"cannot be written: no permission to create files in '{ancestor}'");
        }
        catch (IOException)
        {
            throw Invalid(option, path, $"cannot be written: cannot create files in '{ancestor}'");
        }
    }

    public static void CreateParent(string path, string option)
    {
        var parent = Path.GetDirectoryName(Path.GetFullPath(path));
        try
        {
            if (parent is not null) Directory.CreateDirectory(parent);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Invalid(option, path, $"cannot be written: cannot create '{parent}': {e.Message}");
        }
    }

    private static SteerException Invalid(string option, string path, string problem) =>
        new(ErrorKind.InvalidArgument, $"{option} '{path}' {problem}");
}
