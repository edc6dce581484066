using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Baton.Observability.AccessLog;

/// <summary>
/// Formats <see cref="AccessLogEntry"/> lines into a reused byte buffer on the writer thread:
/// JSON through one reused <see cref="Utf8JsonWriter"/>, or nginx's combined line plus
/// <c>key=value</c> fields. No string is built per line.
/// </summary>
internal sealed class AccessLogFormatter
{
    private static readonly JsonWriterOptions s_json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };
    private static readonly string[] s_months = CultureInfo.InvariantCulture.DateTimeFormat.AbbreviatedMonthNames;
    private readonly AccessLogFormat _format;
    private readonly int _pid;
    private readonly Func<int> _generation;
    private readonly Utf8JsonWriter _writer;

    public AccessLogFormatter(AccessLogFormat format, int pid, Func<int> generation)
    {
        _format = format;
        _pid = pid;
        _generation = generation;
        _writer = new Utf8JsonWriter(new ArrayBufferWriter<byte>(1), s_json);
    }

    /// <summary>Appends one line, newline included.</summary>
    public void Write(ArrayBufferWriter<byte> output, in AccessLogEntry e)
    {
        if (_format == AccessLogFormat.Json)
        {
            WriteJson(output, e);
        }
        else
        {
            WriteText(output, e);
        }

        output.GetSpan(1)[0] = (byte)'\n';
        output.Advance(1);
    }

    private void WriteJson(ArrayBufferWriter<byte> output, in AccessLogEntry e)
    {
        var w = _writer;
        w.Reset(output);
        w.WriteStartObject();
        Span<char> scratch = stackalloc char[64];
        e.Time.TryFormat(scratch, out var n, "yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        w.WriteString("time"u8, scratch[..n]);
        if (e.Client is not null && e.Client.TryFormat(scratch, out n))
        {
            w.WriteString("client"u8, scratch[..n]);
        }
        else
        {
            w.WriteNull("client"u8);
        }

        w.WriteString("method"u8, e.Method);
        w.WriteString("host"u8, e.Host);
        w.WriteString("path"u8, e.Path);
        if (!string.IsNullOrEmpty(e.Query))
        {
            w.WriteString("query"u8, e.Query);
        }

        w.WriteString("protocol"u8, e.Protocol);
        w.WriteNumber("status"u8, e.Status);
        w.WriteNumber("bytes_in"u8, e.BytesIn);
        w.WriteNumber("bytes_out"u8, e.BytesOut);
        w.WriteNumber("duration_ms"u8, Milliseconds(e.DurationTicks));
        w.WriteString("route"u8, e.Route);
        w.WriteString("cluster"u8, e.Cluster);
        w.WriteString("destination"u8, e.Destination);
        if (e.UpstreamTicks > 0)
        {
            w.WriteNumber("upstream_ms"u8, Milliseconds(e.UpstreamTicks));
        }
        else
        {
            w.WriteNull("upstream_ms"u8);
        }

        w.WriteNumber("retries"u8, Math.Max(0, e.Tries - 1));
        if (e.Tried is not null)
        {
            w.WriteString("tried"u8, e.Tried);
        }

        if (e.TraceId != default)
        {
            w.WriteString("trace_id"u8, Hex(e.TraceId, scratch));
        }
        else
        {
            w.WriteNull("trace_id"u8);
        }

        w.WriteString("request_id"u8, e.RequestId);
        w.WriteString("user_agent"u8, e.UserAgent);
        w.WriteString("referer"u8, e.Referer);
        w.WriteNumber("pid"u8, _pid);
        w.WriteNumber("generation"u8, _generation());
        w.WriteEndObject();
        w.Flush();
    }

    // 127.0.0.1 - - [01/Dec/2026:20:11:02 +0000] "GET /a?b HTTP/1.1" 200 12 "-" "curl/8" rt=0.003 ...
    private void WriteText(ArrayBufferWriter<byte> o, in AccessLogEntry e)
    {
        Span<char> scratch = stackalloc char[64];
        if (e.Client is not null && e.Client.TryFormat(scratch, out var n))
        {
            Ascii(o, scratch[..n]);
        }
        else
        {
            Raw(o, "-"u8);
        }

        Raw(o, " - - ["u8);
        var t = e.Time;
        Number(o, t.Day, 2);
        Raw(o, "/"u8);
        Ascii(o, s_months[t.Month - 1]);
        Raw(o, "/"u8);
        Number(o, t.Year, 4);
        Raw(o, ":"u8);
        Number(o, t.Hour, 2);
        Raw(o, ":"u8);
        Number(o, t.Minute, 2);
        Raw(o, ":"u8);
        Number(o, t.Second, 2);
        Raw(o, " +0000] \""u8);
        Quoted(o, e.Method);
        Raw(o, " "u8);
        Quoted(o, e.Path);
        Quoted(o, e.Query);
        Raw(o, " "u8);
        Quoted(o, e.Protocol);
        Raw(o, "\" "u8);
        Number(o, e.Status, 1);
        Raw(o, " "u8);
        Number(o, e.BytesOut, 1);
        Raw(o, " \""u8);
        Quoted(o, e.Referer ?? "-");
        Raw(o, "\" \""u8);
        Quoted(o, e.UserAgent ?? "-");
        Raw(o, "\" host="u8);
        Quoted(o, e.Host ?? "-");
        Raw(o, " in="u8);
        Number(o, e.BytesIn, 1);
        Raw(o, " ms="u8);
        Double(o, Milliseconds(e.DurationTicks));
        Raw(o, " route="u8);
        Quoted(o, e.Route ?? "-");
        Raw(o, " cluster="u8);
        Quoted(o, e.Cluster ?? "-");
        Raw(o, " dest="u8);
        Quoted(o, e.Destination ?? "-");
        Raw(o, " upstream_ms="u8);
        if (e.UpstreamTicks > 0)
        {
            Double(o, Milliseconds(e.UpstreamTicks));
        }
        else
        {
            Raw(o, "-"u8);
        }

        Raw(o, " retries="u8);
        Number(o, Math.Max(0, e.Tries - 1), 1);
        Raw(o, " trace="u8);
        if (e.TraceId != default)
        {
            Ascii(o, Hex(e.TraceId, scratch));
        }
        else
        {
            Raw(o, "-"u8);
        }

        Raw(o, " rid="u8);
        Quoted(o, e.RequestId ?? "-");
        Raw(o, " pid="u8);
        Number(o, _pid, 1);
        Raw(o, " gen="u8);
        Number(o, _generation(), 1);
    }

    private static double Milliseconds(long ticks) => Math.Round(ticks * 1000.0 / Stopwatch.Frequency, 3);

    private static ReadOnlySpan<char> Hex(ActivityTraceId id, Span<char> scratch)
    {
        Span<byte> bytes = stackalloc byte[16];
        id.CopyTo(bytes);
        Convert.TryToHexStringLower(bytes, scratch, out var n);
        return scratch[..n];
    }

    private static void Raw(ArrayBufferWriter<byte> o, ReadOnlySpan<byte> bytes) => o.Write(bytes);

    private static void Ascii(ArrayBufferWriter<byte> o, ReadOnlySpan<char> chars)
    {
        var span = o.GetSpan(chars.Length);
        for (int i = 0; i < chars.Length; i++)
        {
            span[i] = (byte)chars[i];
        }

        o.Advance(chars.Length);
    }

    // As nginx: a quote, a backslash, a control or non-ASCII byte becomes \xHH, so a line stays one line.
    private static void Quoted(ArrayBufferWriter<byte> o, string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return;
        }

        var max = Encoding.UTF8.GetMaxByteCount(text.Length);
        Span<byte> utf8 = max <= 1024 ? stackalloc byte[max] : new byte[max];
        var count = Encoding.UTF8.GetBytes(text, utf8);
        foreach (var b in utf8[..count])
        {
            if (b is < 0x20 or >= 0x7f or (byte)'"' or (byte)'\\')
            {
                var span = o.GetSpan(4);
                span[0] = (byte)'\\';
                span[1] = (byte)'x';
                span[2] = (byte)"0123456789ABCDEF"[b >> 4];
                span[3] = (byte)"0123456789ABCDEF"[b & 0xF];
                o.Advance(4);
            }
            else
            {
                o.GetSpan(1)[0] = b;
                o.Advance(1);
            }
        }
    }

    private static void Number(ArrayBufferWriter<byte> o, long value, int digits)
    {
        Utf8Formatter.TryFormat(value, o.GetSpan(24), out var n, new StandardFormat('D', (byte)digits));
        o.Advance(n);
    }

    private static void Double(ArrayBufferWriter<byte> o, double value)
    {
        value.TryFormat(o.GetSpan(32), out var n, "0.###", CultureInfo.InvariantCulture);
        o.Advance(n);
    }
}
