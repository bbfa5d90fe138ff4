using System.Text.Json;

namespace AgentFactory.Agents;

/// <summary>Reads an agent's settings object from the routing file, naming the agent on error.</summary>
public static class AgentSettings
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNameCaseInsensitive = true };

    public static T Parse<T>(string name, JsonElement settings) where T : new()
    {
        if (settings.ValueKind != JsonValueKind.Object) return new T();
        try
        {
            return settings.Deserialize<T>(Json) ?? new T();
        }
        catch (JsonException e)
        {
            throw new AgentConfigurationException(Routing.RoutingFileErrors.DescribeValue(e, $"agents.{name}"), e);
        }
    }
}
