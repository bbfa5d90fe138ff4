using System.Text;

namespace AgentFactory.Sandbox;

/// <summary>Keeps the last N bytes written, counting all of them: a chatty process never grows the service's memory.</summary>
internal sealed class TailBuffer(int capacity)
{
    private readonly byte[] _buffer = new byte[Math.Max(1, capacity)];
    private readonly Lock _lock = new();
    private int _start;
    private int _count;

    public long Total
    {
        get { lock (_lock) return _total; }
    }

    private long _total;

    public void Append(ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            _total += data.Length;
            if (data.Length >= _buffer.Length)
            {
                data[^_buffer.Length..].CopyTo(_buffer);
                _start = 0;
                _count = _buffer.Length;
                return;
            }
            foreach (var b in data)
            {
                var end = (_start + _count) % _buffer.Length;
                _buffer[end] = b;
                if (_count < _buffer.Length) _count++;
                else _start = (_start + 1) % _buffer.Length;
            }
        }
    }

    public override string ToString()
    {
        lock (_lock)
        {
            var bytes = new byte[_count];
            for (var i = 0; i < _count; i++) bytes[i] = _buffer[(_start + i) % _buffer.Length];
            var text = Encoding.UTF8.GetString(bytes);
            return _total > _count ? $"[… {_total - _count} earlier bytes of output dropped]\n" + text : text;
        }
    }
}
