using System.Text.Json.Nodes;

namespace AgentFactory.Tests.Support;

/// <summary>GitHub's comment payloads in an <see cref="AgentWorld"/>: a comment on an issue or on a pull request's conversation or diff.</summary>
public static class CommentPayloads
{
    /// <summary>issue_comment "created" on #<paramref name="number"/>; with <paramref name="onPullRequest"/> its issue carries "pull_request", as GitHub's does for a pull request's conversation.</summary>
    public static string IssueComment(AgentWorld world, int number, string body, bool onPullRequest, string login = "maintainer", string type = "User", long id = 7001) =>
        world.Payload("issues", "labeled", n =>
        {
            n.AsObject().Remove("label");
            n["action"] = "created";
            n["issue"]!["number"] = number;
            if (onPullRequest) n["issue"]!["pull_request"] = new JsonObject { ["url"] = $"https://api.github.example/repos/{AgentWorld.Repository}/pulls/{number}" };
            n["comment"] = new JsonObject { ["id"] = id, ["body"] = body, ["user"] = new JsonObject { ["login"] = login, ["type"] = type } };
            n["sender"] = new JsonObject { ["login"] = login, ["id"] = 99, ["type"] = type };
        });

    /// <summary>pull_request_review_comment "created" on pull request #<paramref name="number"/>: a comment on <paramref name="path"/> at the end of <paramref name="hunk"/>.</summary>
    public static string ReviewComment(AgentWorld world, int number, string body, string path, string hunk, string login = "maintainer", long id = 8001) =>
        world.Payload("pull_request", "opened", n =>
        {
            n["action"] = "created";
            n["number"] = number;
            n["pull_request"]!["number"] = number;
            n["comment"] = new JsonObject
            {
                ["id"] = id, ["body"] = body, ["path"] = path, ["diff_hunk"] = hunk, ["user"] = new JsonObject { ["login"] = login, ["type"] = "User" },
            };
            n["sender"] = new JsonObject { ["login"] = login, ["id"] = 99, ["type"] = "User" };
        });
}
