using System.Globalization;
using Baton.Hosting.Interop;

namespace Baton.Hosting.Lifecycle;

/// <summary>
/// <c>Lifecycle:PidFile</c> (issue 11, defect 13): written atomically through a new temp file with
/// a unique name (created exclusively, so a planted file or symlink is never opened or followed),
/// then renamed over the path; removed at exit only while it still names this process (after an
/// upgrade it names the new one); and a PID file that names another live Baton — not this
/// process's own upgrade chain — is a second instance, refused at start.
/// </summary>
public static class PidFile
{
    /// <summary>Null when this process may use the PID file; else one line saying which live Baton holds it.</summary>
    /// <param name="path">The PID file.</param>
    /// <param name="chain">Pids of this process's upgrade chain (older generations still draining): they may hold it.</param>
    public static string? CheckNotHeld(string path, IReadOnlyCollection<int> chain)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"Lifecycle:PidFile {path}: cannot read it: {ex.Message}";
        }

        if (!int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid <= 0
            || pid == Environment.ProcessId || chain.Contains(pid) || !Processes.IsAlive(pid) || !IsBaton(pid))
        {
            return null; // garbage, ours, our chain's, or stale: take it
        }

        return $"Lifecycle:PidFile {path} names pid {pid}, a running Baton: another instance uses this PID file; stop it or give this instance its own PidFile";
    }

    /// <summary>Writes this process's pid atomically (mode 0644): <see cref="Prepare"/>, then <see cref="Commit"/>.</summary>
    /// <exception cref="IOException">The directory is missing or not writable, or the path is a directory; the message names the path.</exception>
    public static void Write(string path) => Commit(Prepare(path), path);

    /// <summary>
    /// The fallible half (issue 11, defect 2: done before ready): writes the pid to a new temp file
    /// beside <paramref name="path"/> and returns its name. A missing or read-only directory, or a
    /// path that is a directory, fails here.
    /// </summary>
    /// <exception cref="IOException">The message names the path.</exception>
    public static string Prepare(string path)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            throw new IOException($"{full} is a directory");
        }

        var temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            // CreateNew is O_CREAT|O_EXCL: it fails on any existing name, a symlink included, and never follows one.
            using var stream = new FileStream(temp, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            });
            stream.Write(System.Text.Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId}\n")));
        }
        catch
        {
            Discard(temp);
            throw;
        }

        return temp;
    }

    /// <summary>The other half (after ready): renames the prepared <paramref name="temp"/> over <paramref name="path"/> (rename(2), one directory).</summary>
    public static void Commit(string temp, string path) => File.Move(temp, Path.GetFullPath(path), overwrite: true);

    /// <summary>Removes a prepared temp file that will not be committed.</summary>
    public static void Discard(string temp)
    {
        try
        {
            File.Delete(temp);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Removes the PID file if it still names this process; true when it did.</summary>
    public static bool RemoveIfOurs(string path)
    {
        try
        {
            var text = File.ReadAllText(path).Trim();
            if (text != Environment.ProcessId.ToString(CultureInfo.InvariantCulture))
            {
                return false; // a newer generation's, or someone else's
            }

            File.Delete(path);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    // Same executable as this process (/proc/PID/exe), or the same command name (an upgrade may
    // run a new binary from another path).
    private static bool IsBaton(int pid)
    {
        try
        {
            var exe = new FileInfo($"/proc/{pid}/exe").LinkTarget;
            var own = new FileInfo("/proc/self/exe").LinkTarget;
            if (exe is not null && exe == own)
            {
                return true;
            }

            return File.ReadAllText($"/proc/{pid}/comm").Trim() == File.ReadAllText("/proc/self/comm").Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return true; // alive but unreadable: assume the worst and refuse
        }
    }
}
