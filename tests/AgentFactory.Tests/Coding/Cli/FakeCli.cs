namespace AgentFactory.Tests.Coding.Cli;

/// <summary>
/// A stand-in for a coding CLI (run as <c>cli: "command"</c>): reads the task on stdin, prints Claude Code's
/// stream-json events, calls its model through the gateway with the token it was given, edits the worktree,
/// and leaves evidence of what the sandbox held (every process's environment and argv, every file in /tmp,
/// /run and /dev/shm) in held.txt. Its first argument picks what it does.
/// </summary>
public static class FakeCli
{
    public const string Script = """
        set -u
        mode=$1
        task=$(cat)
        event() { printf '%s\n' "$1"; }
        event '{"type":"system","subtype":"init","cwd":"'"$PWD"'","model":"fake","tools":["Read","Edit"]}'
        case "$mode" in
          fix)
            reply=$(curl -sS -m 30 "$ANTHROPIC_BASE_URL/v1/messages" -H "x-api-key: $ANTHROPIC_API_KEY" -H 'anthropic-version: 2023-06-01' \
              -H 'content-type: application/json' -d '{"model":"whatever","max_tokens":100,"messages":[{"role":"user","content":"fix it"}]}')
            case "$reply" in *'"type":"message"'*) ;; *) echo "model call failed: $reply" >&2; exit 4 ;; esac
            event '{"type":"assistant","message":{"id":"msg_1","role":"assistant","content":[{"type":"text","text":"Reading calc.py."},{"type":"tool_use","id":"toolu_1","name":"Read","input":{"file_path":"calc.py"}}],"usage":{"input_tokens":1000,"cache_read_input_tokens":200,"output_tokens":1}}}'
            event '{"type":"user","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"def add(a, b):\n    return a - b"}]}}'
            sed -i 's/a - b/a + b/' calc.py
            event '{"type":"assistant","message":{"id":"msg_2","role":"assistant","content":[{"type":"tool_use","id":"toolu_2","name":"Edit","input":{"file_path":"calc.py","old_string":"a - b","new_string":"a + b"}}],"usage":{"input_tokens":1500,"output_tokens":1}}}'
            event '{"type":"assistant","message":{"id":"msg_3","role":"assistant","content":[{"type":"text","text":"Fixed add(): it subtracted."}],"usage":{"input_tokens":1600,"output_tokens":1}}}'
            { for f in /proc/[0-9]*/environ /proc/[0-9]*/cmdline; do tr '\0' '\n' < "$f"; echo; done
              printf 'TASK=%s\n' "$task"
              grep -rs . /tmp /run /dev/shm; } > held.txt 2>/dev/null
            event '{"type":"result","subtype":"success","is_error":false,"num_turns":3,"result":"Fixed add(): it subtracted instead of adding.","total_cost_usd":0.5,"usage":{"input_tokens":4100,"cache_read_input_tokens":200,"output_tokens":90}}'
            ;;
          hang)
            sleep 600
            ;;
          spend)
            i=0
            while [ $i -lt 600 ]; do
              i=$((i+1))
              event '{"type":"assistant","message":{"id":"msg_'$i'","role":"assistant","content":[{"type":"text","text":"still going"}],"usage":{"input_tokens":10000,"output_tokens":100}}}'
              sleep 0.05
            done
            echo 'NOT STOPPED' >&2
            ;;
          fail)
            event '{"type":"assistant","message":{"id":"msg_1","role":"assistant","content":[{"type":"text","text":"Trying."}],"usage":{"input_tokens":10,"output_tokens":1}}}'
            echo "fatal: the model refused: $ANTHROPIC_API_KEY" >&2
            exit 3
            ;;
        esac
        """;

    /// <summary>Writes the script where the sandbox can read it (outside the worktree, not hidden) and returns the routing object that runs it.</summary>
    public static string Routing(string root, string mode)
    {
        var path = Path.Combine(root, "fake-cli.sh");
        File.WriteAllText(path, Script);
        return $$"""{"cli": "command", "command": "exec bash {{path}} {{mode}}"}""";
    }
}
