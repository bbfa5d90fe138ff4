using AgentFactory.Cli;

return await CliApp.RunAsync(args);
