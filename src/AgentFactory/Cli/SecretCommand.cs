using System.CommandLine;
using AgentFactory.Hosting;

namespace AgentFactory.Cli;

public static class SecretCommand
{
    public static Command Create()
    {
        var command = new Command("secret", "Print a new strong random secret (32 bytes, base64url) for GITHUB_WEBHOOK_SECRET or MANUAL_TRIGGER_TOKEN.");
        command.SetAction(_ =>
        {
            Console.WriteLine(SettingsLoader.NewSecret());
            return ExitCodes.Ok;
        });
        return command;
    }
}
