using System.Buffers;
using System.Text;

namespace AgentFactory.Sandbox;

/// <summary>
/// Splits a program's stdout into lines for <see cref="ProcessSpec.OnStdoutLine"/>. Only the line being
/// read is held, and at most <see cref="ProcessSpec.MaxLineBytes"/> of it: a longer line is cut there (its
/// rest dropped), so a program printing one endless line cannot grow the service's memory.
/// </summary>
internal sealed class OutputLines(Action<string> each)
{
    private readonly ArrayBufferWriter<byte> _line = new();
    private bool _cut;

    public void Append(ReadOnlySpan<byte> data)
    {
        while (data.Length > 0)
        {
            var newline = data.IndexOf((byte)'\n');
            var part = newline < 0 ? data : data[..newline];
            var room = ProcessSpec.MaxLineBytes - _line.WrittenCount;
            if (part.Length > room) _cut = true;
            _line.Write(part[..Math.Min(part.Length, room)]);
            if (newline < 0) return;
            Emit();
            data = data[(newline + 1)..];
        }
    }

    /// <summary>The last line, when the program ended without a newline.</summary>
    public void Flush()
    {
        if (_line.WrittenCount > 0 || _cut) Emit();
    }

    private void Emit()
    {
        var span = _line.WrittenSpan;
        if (span.Length > 0 && span[^1] == '\r') span = span[..^1];
        var text = Encoding.UTF8.GetString(span);
        _line.ResetWrittenCount();
        _cut = false;
        each(text);
    }
}
