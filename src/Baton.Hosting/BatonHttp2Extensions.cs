using Baton.Hosting.Draining;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Baton.Hosting;

/// <summary>HTTP/2 over TLS during a drain.</summary>
public static class BatonHttp2Extensions
{
    /// <summary>
    /// Closes the HTTP/2 connections the drain asks to close by their frames (GOAWAY, PING, the
    /// final GOAWAY once no stream is in flight), as <see cref="BatonHostingExtensions.UseBatonTracking"/>
    /// does for cleartext. Add it after <c>UseHttps</c>, where the bytes are plaintext.
    /// </summary>
    public static ListenOptions UseBatonHttp2Close(this ListenOptions listenOptions)
    {
        listenOptions.Use(next => connection =>
        {
            var guard = new Http2CloseGuard(connection.Transport);
            connection.Transport = guard;
            if (connection.Features.Get<TrackedConnection>() is { } tracked)
            {
                tracked.Http2Close = guard;
            }

            return next(connection);
        });
        return listenOptions;
    }
}
