using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using AgentFactory.Events;

namespace AgentFactory.Queue;

/// <summary>
/// What JSON the queue stores, the same on every driver: what PostgreSQL's jsonb accepts. .NET parses
/// more than jsonb stores, and jsonb refuses a whole statement for one bad value, so a delivery holding
/// one is refused alone (<see cref="Problem"/>) before it reaches a batch. jsonb refuses, as found
/// against PostgreSQL 15:
/// <list type="bullet">
/// <item>an escaped UTF-16 surrogate without its other half ("\ud800", "\udc00", "\ud800\ud800"), in a value or a key;</item>
/// <item>a number beyond its numeric type: 131072 digits or more before the decimal point (1e131072),
/// more than 16383 after it once the exponent is applied (1e-16384, 1.0000e-16380), or an exponent of
/// ±1073741823 or more (even on zero);</item>
/// <item>the character U+0000 ("\u0000"), which the PostgreSQL driver turns into U+FFFD instead (<c>JsonbText</c>), so it is not refused.</item>
/// </list>
/// Deeper nesting than ingest's parser allows and payloads over jsonb's 256 MB are out of reach: ingest
/// parses at most 64 levels and 25 MB. The check costs a few vectorised scans; only a payload with a
/// long exponent or a run of thousands of digits is read token by token.
/// </summary>
public static class StorableJson
{
    /// <summary>PostgreSQL numeric: digits after the decimal point (NUMERIC_DSCALE_MAX).</summary>
    public const int MaxScale = 16383;

    /// <summary>PostgreSQL numeric: the highest power of ten of a leading digit (weight 32767 in base 10000).</summary>
    public const int MaxExponentOfLeadingDigit = 131071;

    private const long MaxExponent = 1073741823; // INT_MAX / 2: numeric_in refuses larger exponents outright

    /// <summary>A number can only break a limit with an exponent of this many digits or a digit run of <see cref="LongRun"/>.</summary>
    private const int ExponentDigits = 4;
    private const int LongRun = 8192;

    private static readonly SearchValues<string> SurrogateEscapes = SearchValues.Create(["\\ud", "\\uD"], StringComparison.Ordinal);
    private static readonly SearchValues<string> DigitThenE = SearchValues.Create(
        [.. Enumerable.Range(0, 10).SelectMany(d => new[] { $"{d}e", $"{d}E" })], StringComparison.Ordinal);

    /// <summary>Null when every driver stores <paramref name="json"/> as it is, else why not, in the sender's terms.</summary>
    public static string? Problem(string json)
    {
        if (SurrogateProblem(json) is { } surrogate) return surrogate;
        return MayHoldAnOutOfRangeNumber(json) ? NumberProblemByTokens(json) : null;
    }

    /// <summary>
    /// Records the deliveries whose payloads every driver stores through <paramref name="record"/>, and
    /// answers the others with their refusal, all in the callers' order.
    /// </summary>
    internal static async Task<IReadOnlyList<DeliveryResult>> RecordStorableAsync(
        IReadOnlyList<DeliveryRecord> deliveries, Func<IReadOnlyList<DeliveryRecord>, Task<IReadOnlyList<DeliveryResult>>> record)
    {
        var refusals = deliveries.Select(ProblemOf).ToArray();
        if (refusals.All(r => r is null)) return await record(deliveries);
        var storable = deliveries.Where((_, i) => refusals[i] is null).ToList();
        var stored = storable.Count == 0 ? [] : await record(storable);
        var results = new DeliveryResult[deliveries.Count];
        for (int i = 0, next = 0; i < deliveries.Count; i++)
            results[i] = refusals[i] is { } reason ? DeliveryResult.Refusal(reason) : stored[next++];
        return results;
    }

    private static string? ProblemOf(DeliveryRecord record) =>
        Problem(record.Delivery.Payload)
        ?? record.Jobs.Where(j => !ReferenceEquals(j.Payload, record.Delivery.Payload)).Select(j => Problem(j.Payload)).FirstOrDefault(p => p is not null);

    private static string? SurrogateProblem(string json)
    {
        var span = json.AsSpan();
        // Raw surrogates: a .NET string may hold half a pair (the driver could not even encode it).
        for (var from = 0; span[from..].IndexOfAnyInRange('\uD800', '\uDFFF') is var k and >= 0;)
        {
            var i = from + k;
            if (!char.IsHighSurrogate(span[i]) || i + 1 >= span.Length || !char.IsLowSurrogate(span[i + 1]))
                return "The payload holds a character that is half of a UTF-16 surrogate pair, which is not valid Unicode text.";
            from = i + 2;
        }
        // Escaped surrogates: "\uD83D\uDE00" is one character; either half alone is refused.
        for (var from = 0; span[from..].IndexOfAny(SurrogateEscapes) is var k and >= 0;)
        {
            var i = from + k;
            from = i + 1;
            if (!IsEscape(span, i) || Hex(span, i) is not { } unit || !char.IsSurrogate(unit)) continue;
            if (char.IsHighSurrogate(unit) && Hex(span, i + 6) is { } low && char.IsLowSurrogate(low))
            {
                from = i + 12;
                continue;
            }
            return $"The payload holds the escape {span.Slice(i, 6)}, half of a UTF-16 surrogate pair without its other half, which is not valid Unicode text. Escape the whole character or leave it out.";
        }
        return null;
    }

    /// <summary>Whether the backslash at <paramref name="i"/> starts an escape (it is not itself escaped).</summary>
    private static bool IsEscape(ReadOnlySpan<char> span, int i)
    {
        var backslashes = 0;
        for (var k = i; k >= 0 && span[k] == '\\'; k--) backslashes++;
        return backslashes % 2 == 1;
    }

    /// <summary>The UTF-16 unit of the "\uXXXX" at <paramref name="i"/>, if it is one.</summary>
    private static char? Hex(ReadOnlySpan<char> span, int i) =>
        i + 6 <= span.Length && span[i] == '\\' && span[i + 1] == 'u' && ushort.TryParse(span.Slice(i + 2, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var unit)
            ? (char)unit : null;

    /// <summary>
    /// Cheap and never wrong the other way: a number out of range needs an exponent of at least
    /// <see cref="ExponentDigits"/> digits (followed by what may follow a number) or a run of at least
    /// <see cref="LongRun"/> digits. Such a run covers a multiple of LongRun / 2, so only those
    /// positions are looked at.
    /// </summary>
    private static bool MayHoldAnOutOfRangeNumber(string json)
    {
        var span = json.AsSpan();
        for (var from = 0; span[from..].IndexOfAny(DigitThenE) is var k and >= 0;)
        {
            var i = from + k;
            from = i + 1;
            var j = i + 2;
            if (j < span.Length && span[j] is '+' or '-') j++;
            var digits = j < span.Length ? span[j..].IndexOfAnyExceptInRange('0', '9') : 0;
            if (digits < 0) digits = span.Length - j;
            // In a number the exponent ends the token; in text (a commit SHA: "…2e4193db…") letters follow.
            var end = j + digits;
            if (digits >= ExponentDigits && (end == span.Length || span[end] is ',' or '}' or ']' or ' ' or '\t' or '\r' or '\n')) return true;
        }
        for (var k = LongRun / 2; k < span.Length; k += LongRun / 2)
        {
            if (!char.IsAsciiDigit(span[k])) continue;
            var before = span[..k].LastIndexOfAnyExceptInRange('0', '9');
            var after = span[k..].IndexOfAnyExceptInRange('0', '9');
            var end = after < 0 ? span.Length : k + after;
            if (end - (before + 1) >= LongRun) return true;
        }
        return false;
    }

    /// <summary>Reads the numbers token by token (only when the quick look found a candidate).</summary>
    private static string? NumberProblemByTokens(string json)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json), new JsonReaderOptions { MaxDepth = 1024 });
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.Number && NumberProblem(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan) is { } problem)
                    return problem;
            }
        }
        catch (JsonException e)
        {
            return $"The payload is not valid JSON: {e.Message}";
        }
        return null;
    }

    /// <summary>Null when PostgreSQL's numeric type holds the JSON number <paramref name="number"/> (ASCII), else why not.</summary>
    public static string? NumberProblem(ReadOnlySpan<byte> number)
    {
        var i = number.Length > 0 && number[0] == '-' ? 1 : 0;
        var intStart = i;
        while (i < number.Length && char.IsAsciiDigit((char)number[i])) i++;
        var intDigits = number[intStart..i];
        var fracDigits = ReadOnlySpan<byte>.Empty;
        if (i < number.Length && number[i] == '.')
        {
            var fracStart = ++i;
            while (i < number.Length && char.IsAsciiDigit((char)number[i])) i++;
            fracDigits = number[fracStart..i];
        }
        long exponent = 0;
        if (i < number.Length && number[i] is (byte)'e' or (byte)'E')
        {
            i++;
            var negative = i < number.Length && number[i] == '-';
            if (i < number.Length && number[i] is (byte)'+' or (byte)'-') i++;
            for (; i < number.Length && exponent < MaxExponent; i++) exponent = (exponent * 10) + (number[i] - '0');
            if (negative) exponent = -exponent;
        }
        var shown = Encoding.ASCII.GetString(number.Length > 40 ? number[..40] : number) + (number.Length > 40 ? "…" : "");
        string TooBig(string why) =>
            $"The payload holds the number {shown}, {why}: the queue stores numbers of up to {MaxExponentOfLeadingDigit + 1} digits before and {MaxScale} after the decimal point. Send such a value as a string.";

        if (Math.Abs(exponent) >= MaxExponent) return TooBig("whose exponent is too large");
        if (fracDigits.Length - exponent > MaxScale) return TooBig($"which has {fracDigits.Length - exponent} digits after the decimal point");
        var leadingInt = intDigits.IndexOfAnyExcept((byte)'0');
        long? leading = leadingInt >= 0 ? intDigits.Length - 1 - leadingInt + exponent
            : fracDigits.IndexOfAnyExcept((byte)'0') is var leadingFrac and >= 0 ? -(leadingFrac + 1) + exponent
            : null; // zero
        return leading > MaxExponentOfLeadingDigit ? TooBig("which is too large") : null;
    }
}
