namespace Baton.Hosting.Interop;

internal static partial class ListenSockets
{
    private const string EpollLinkTarget = "anon_inode:[eventpoll]";

    /// <summary>
    /// Removes <paramref name="fd"/> from every epoll instance of this process.
    /// </summary>
    /// <remarks>
    /// .NET's socket engine registers each socket it uses in its own epoll set(s) and never
    /// unregisters it (closing the fd does that). epoll keys on the open file description, so when
    /// this process stops accepting on a listener that another process still holds open, the
    /// registration stays alive and this process wakes for every incoming connection. Call this
    /// after the last managed accept on the fd has ended: a pending accept will not be woken again.
    /// </remarks>
    /// <returns>How many epoll instances the fd was removed from.</returns>
    /// <exception cref="IOException">epoll_ctl failed with something other than ENOENT, EBADF or EINVAL.</exception>
    public static unsafe int RemoveFromEpoll(int fd)
    {
        int removed = 0;
        foreach (string entry in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out int epfd) || epfd == fd || !IsEpoll(entry))
            {
                continue;
            }

            if (LibC.EpollCtl(epfd, LibC.EPOLL_CTL_DEL, fd, null) == 0)
            {
                removed++;
                continue;
            }

            // ENOENT: not registered there. EBADF/EINVAL: epfd was closed or reused since we read the link.
            int errno = Errno.Last;
            if (errno is not (Errno.ENOENT or Errno.EBADF or Errno.EINVAL))
            {
                throw Errno.ToException(errno, $"epoll_ctl EPOLL_CTL_DEL fd {fd} from epoll fd {epfd}");
            }
        }

        return removed;
    }

    private static bool IsEpoll(string procFdEntry)
    {
        try
        {
            return new FileInfo(procFdEntry).LinkTarget == EpollLinkTarget;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false; // closed since the directory was read.
        }
    }
}
