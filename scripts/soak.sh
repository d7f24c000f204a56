#!/usr/bin/env bash
# Soak test of `steer serve` (loopback only, stops by itself): a formula model served on a free port, driven for
# SECONDS (default 600, at most 900) by tools/Steer.Soak with a steady mix of valid, steered, streamed, cancelled,
# invalid, oversized and misrouted requests (and chat ones: the default qwen2 formula model has a chat template;
# SOAK_ARCH=gpt2 serves GPT-2 instead, without chat), while the client samples the server's RSS every second.
# Then SIGTERM, which the server must answer by draining and exiting 0. Fails on any 5xx, a request past the hang
# deadline, RSS growth over 10% after warm-up, or a server that does not stop cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
arch=${SOAK_ARCH:-qwen2}
work=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then kill -KILL "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "soak: $*" >&2
  echo "soak: the server's log ends:" >&2
  tail -n 40 "$work/server.log" >&2 || true
  exit 1
}
# A reaped or zombie server has exited; `kill -0` alone would still see a zombie as alive.
running() { [ -r "/proc/$1/stat" ] && [ "$(cut -d' ' -f3 "/proc/$1/stat")" != Z ]; }

dotnet build tools/Steer.Soak -c Release -v quiet -nologo -o "$work/client" >/dev/null
# A 1024-token context, as the README's chat example: the cancelled requests ask for 200 tokens.
./steer debug make-model --seed 1 --arch "$arch" --context 1024 --out "$work/model" >/dev/null

# `./steer` execs the binary, so $! is the server itself and the signal reaches it.
./steer serve --model "$work/model" --port 0 >"$work/server.log" 2>&1 &
server_pid=$!
url=
for _ in $(seq 1 240); do
  url=$(grep -o 'at http://127\.0\.0\.1:[0-9]*/v1' "$work/server.log" | head -n 1 | sed 's/^at //; s|/v1$||' || true)
  [ -n "$url" ] && break
  running "$server_pid" || fail "the server exited before it was serving"
  sleep 0.5
done
[ -n "$url" ] || fail "the server did not print its address within 120 s"

chat=()
[ "$arch" = gpt2 ] || chat=(--chat)
client_rc=0
dotnet "$work/client/Steer.Soak.dll" --url "$url" --seconds "$seconds" --pid "$server_pid" "${chat[@]}" || client_rc=$?

kill -TERM "$server_pid"
for _ in $(seq 1 120); do
  running "$server_pid" || break
  sleep 0.5
done
running "$server_pid" && fail "the server was still running 60 s after SIGTERM"
server_rc=0
wait "$server_pid" || server_rc=$?
server_pid=
[ "$server_rc" -eq 0 ] || fail "the server exited $server_rc after SIGTERM, not 0"
echo "soak: the server exited 0 after SIGTERM"
[ "$client_rc" -eq 0 ] || fail "the soak client failed (exit $client_rc, see above)"
echo "soak: passed"
