using System.Text;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Baton.Proxy;

/// <summary>
/// A request's <c>Connection</c> header exactly as the client sent it. Kestrel's HTTP/1.x parser
/// rewrites it before any middleware runs: when the value's connection options are exactly one of
/// <c>close</c>, <c>keep-alive</c> or <c>upgrade</c>, whatever other tokens it holds, it replaces
/// the whole header by that option's constant (aspnetcore <c>HttpHeaders.ParseConnection</c>, "switch
/// it for the interned value in case the connection is long lived"). <c>Connection: close, X-Secret</c>
/// reaches the app as <c>Connection: close</c>, and the header it names would be forwarded.
/// </summary>
/// <remarks>
/// Kestrel decodes every request header value through
/// <see cref="KestrelServerOptions.RequestHeaderEncodingSelector"/>; that hook sees the bytes before
/// the parser rewrites anything. So:
/// <list type="number">
/// <item>a connection middleware gives each connection a <see cref="Lines"/> holder, in an
/// <see cref="AsyncLocal{T}"/> that flows into Kestrel's request loop on that connection (HTTP/1.x
/// parses headers there; HTTP/2 has no <c>Connection</c> header);</item>
/// <item>for <c>Connection</c> the selector returns <see cref="CapturingEncoding"/>, which decodes as
/// Kestrel's default does (ASCII, else strict UTF-8) and appends the decoded line to the holder;</item>
/// <item>the first middleware of the app (<see cref="ConnectionHeaders.UseConnectionHeaderRemoval"/>)
/// takes the lines of the request being served (Kestrel parses the next request on a connection only
/// after this one ended) and, once it ended, removes the header: Kestrel skips decoding a line equal
/// to the previous request's value and reuses that string, which then must not exist.</item>
/// </list>
/// Cost: a delegate call per request header, one holder per connection, and one more string per
/// <c>Connection</c> line.
/// </remarks>
internal static class SentConnectionHeader
{
    private static readonly AsyncLocal<Lines?> s_current = new();

    /// <summary>The lines of the request being parsed or served on this connection, if it has a holder.</summary>
    public static Lines? Current => s_current.Value;

    /// <summary>Step 1: a holder per connection accepted on <paramref name="listen"/>.</summary>
    public static ListenOptions UseSentConnectionHeader(this ListenOptions listen)
    {
        listen.Use(static next => connection =>
        {
            s_current.Value = new Lines();
            return next(connection);
        });
        return listen;
    }

    /// <summary>Step 2: Kestrel decodes <c>Connection</c> values with <see cref="CapturingEncoding"/>.</summary>
    public static void CaptureSentConnectionHeader(this KestrelServerOptions kestrel)
    {
        var previous = kestrel.RequestHeaderEncodingSelector;
        kestrel.RequestHeaderEncodingSelector = name =>
            string.Equals(name, HeaderNames.Connection, StringComparison.OrdinalIgnoreCase) ? CapturingEncoding.Instance : previous(name);
    }

    /// <summary>The <c>Connection</c> lines Kestrel decoded for the current request of one connection.</summary>
    internal sealed class Lines
    {
        private StringValues _lines;

        public void Add(string line) => _lines = StringValues.Concat(_lines, line);

        /// <summary>The lines decoded since the last call (empty when Kestrel decoded none).</summary>
        public StringValues Take()
        {
            var lines = _lines;
            _lines = default;
            return lines;
        }
    }

    /// <summary>
    /// Decodes like Kestrel's default for request headers (ASCII, else UTF-8 that throws on invalid
    /// bytes; Kestrel turns a <see cref="DecoderFallbackException"/> into a rejected request, as it
    /// does for its own decoder) and keeps a copy of what it decoded in <see cref="Current"/>.
    /// </summary>
    internal sealed class CapturingEncoding : Encoding
    {
        public static readonly CapturingEncoding Instance = new();

        private static readonly Encoding s_utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

        public override int GetByteCount(char[] chars, int index, int count) => s_utf8.GetByteCount(chars, index, count);

        public override int GetBytes(char[] chars, int charIndex, int charCount, byte[] bytes, int byteIndex)
            => s_utf8.GetBytes(chars, charIndex, charCount, bytes, byteIndex);

        public override int GetCharCount(byte[] bytes, int index, int count) => s_utf8.GetCharCount(bytes, index, count);

        public override unsafe int GetCharCount(byte* bytes, int count) => s_utf8.GetCharCount(bytes, count);

        public override int GetChars(byte[] bytes, int byteIndex, int byteCount, char[] chars, int charIndex)
        {
            int n = s_utf8.GetChars(bytes, byteIndex, byteCount, chars, charIndex);
            Keep(chars.AsSpan(charIndex, n));
            return n;
        }

        // What string.CreateStringFromEncoding calls for Kestrel's Encoding.GetString(ReadOnlySpan<byte>).
        public override unsafe int GetChars(byte* bytes, int byteCount, char* chars, int charCount)
        {
            int n = s_utf8.GetChars(bytes, byteCount, chars, charCount);
            Keep(new ReadOnlySpan<char>(chars, n));
            return n;
        }

        public override int GetMaxByteCount(int charCount) => s_utf8.GetMaxByteCount(charCount);

        public override int GetMaxCharCount(int byteCount) => s_utf8.GetMaxCharCount(byteCount);

        private static void Keep(ReadOnlySpan<char> line) => s_current.Value?.Add(line.ToString());
    }
}
