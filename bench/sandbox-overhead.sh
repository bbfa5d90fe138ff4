#!/usr/bin/env bash
# Start overhead of one sandboxed process (docs/security.md): the same bwrap command line
# BubblewrapProcesses builds, running /bin/true, with and without the in-sandbox network forwarder,
# against plain /bin/true and the host-process wrapper. Uses hyperfine when installed
# (apt-get install hyperfine), else a loop timed with date +%s%N.
#   bench/sandbox-overhead.sh [runs]
set -euo pipefail
runs=${1:-200}
sock_dir=$(mktemp -d)
trap 'rm -rf "$sock_dir"' EXIT

common=(--unshare-all --unshare-user --disable-userns --die-with-parent --new-session --ro-bind / / --dev /dev --proc /proc
        --perms 1777 --size 536870912 --tmpfs /tmp --perms 1777 --size 67108864 --tmpfs /dev/shm --size 1048576 --tmpfs /run)
limits=(/usr/bin/prlimit --data=2147483648 --nproc=256 --fsize=1073741824 --cpu=1800:1805 --core=0 --)
# The forwarder script of BubblewrapArguments (socat listens; the shell waits until it does, then runs the
# program), here read from a file in the bound egress directory so hyperfine can run it without a shell.
cat > "$sock_dir/forwarder.sh" <<'SCRIPT'
socat=$1 port=$2 sock=$3; shift 3
"$socat" TCP-LISTEN:"$port",bind=127.0.0.1,fork,reuseaddr UNIX-CONNECT:"$sock" &
hex=$(printf "%04X" "$port"); n=0
until grep -q "0100007F:$hex 00000000:0000 0A" /proc/net/tcp; do n=$((n+1)); [ "$n" -gt 5000 ] && exit 125; sleep 0.002; done
exec "$@"
SCRIPT

plain=(/bin/true)
host=(/usr/bin/setpriv --pdeathsig KILL -- /usr/bin/setsid -- /bin/true)
sandbox=(/usr/bin/bwrap "${common[@]}" -- "${limits[@]}" /bin/true)
network=(/usr/bin/bwrap "${common[@]}" --ro-bind "$sock_dir" /run/agentfactory-egress -- "${limits[@]}"
         /bin/sh /run/agentfactory-egress/forwarder.sh /usr/bin/socat 3128 /run/agentfactory-egress/egress.sock /bin/true)

"${sandbox[@]}" && "${network[@]}" || { echo "the sandbox does not run here: see agentfactory doctor" >&2; exit 1; }

quote() { printf '%q ' "$@"; }
if command -v hyperfine >/dev/null; then
  hyperfine -N --warmup 20 --runs "$runs" \
    -n 'true' "$(quote "${plain[@]}")" \
    -n 'host process (setpriv+setsid)' "$(quote "${host[@]}")" \
    -n 'sandbox, no network' "$(quote "${sandbox[@]}")" \
    -n 'sandbox + network forwarder' "$(quote "${network[@]}")"
else
  for name in plain host sandbox network; do
    declare -n cmd=$name
    start=$(date +%s%N)
    for _ in $(seq "$runs"); do "${cmd[@]}"; done
    echo "$name: $(( ($(date +%s%N) - start) / runs / 1000 )) µs per start ($runs runs)"
  done
fi
