namespace Baton.Configuration;

/// <summary>Checks that files and directories Baton will write to are writable, so <c>check</c> catches it before <c>run</c> does.</summary>
internal static class Writable
{
    /// <summary>True when <paramref name="path"/> can be opened for appending (it is created if missing and removed again).</summary>
    public static bool File(string path, out string why)
    {
        why = "";
        bool existed = System.IO.File.Exists(path);
        try
        {
            using (new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete))
            {
            }

            if (!existed)
            {
                System.IO.File.Delete(path);
            }

            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            why = ex.Message;
            return false;
        }
    }

    /// <summary>True when a file can be created in <paramref name="directory"/>.</summary>
    public static bool Directory(string directory, out string why)
    {
        why = "";
        if (!System.IO.Directory.Exists(directory))
        {
            why = "the directory does not exist";
            return false;
        }

        return File(Path.Combine(directory, $".baton-check-{Environment.ProcessId}"), out why);
    }
}
