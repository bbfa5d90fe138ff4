using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace AgentFactory.Queue.Postgres;

/// <summary>
/// jsonb cannot hold the character U+0000, which GitHub payloads may carry (a commit message, a file
/// name). Rather than refuse such a delivery, that one character becomes U+FFFD; everything else is
/// kept. Payloads without "\u0000" pass through untouched and unparsed.
/// </summary>
internal static class JsonbText
{
    public static string Sanitize(string json)
    {
        // JSON spells the escape with a lowercase u and digits only, so an ordinal (vectorized) search finds
        // every form; a case-insensitive one cost a quarter of the PostgreSQL ingest CPU (docs/benchmarks.md).
        if (!json.Contains("\\u0000", StringComparison.Ordinal)) return json;
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject: w.WriteStartObject(); break;
                    case JsonTokenType.EndObject: w.WriteEndObject(); break;
                    case JsonTokenType.StartArray: w.WriteStartArray(); break;
                    case JsonTokenType.EndArray: w.WriteEndArray(); break;
                    case JsonTokenType.PropertyName: w.WritePropertyName(Clean(reader.GetString())); break;
                    case JsonTokenType.String: w.WriteStringValue(Clean(reader.GetString())); break;
                    case JsonTokenType.Number: w.WriteRawValue(reader.ValueSpan, skipInputValidation: true); break;
                    case JsonTokenType.True: w.WriteBooleanValue(true); break;
                    case JsonTokenType.False: w.WriteBooleanValue(false); break;
                    case JsonTokenType.Null: w.WriteNullValue(); break;
                }
            }
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static string Clean(string? value) => (value ?? "").Replace('\0', '\uFFFD');
}
