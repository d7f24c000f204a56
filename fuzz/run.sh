#!/usr/bin/env bash
# Usage: fuzz/run.sh TARGET SECONDS
# Builds the harness, instruments Steer's assemblies with SharpFuzz and runs AFL++ on one target for SECONDS.
# Findings go to fuzz/findings/TARGET (gitignored), or $FUZZ_OUT/TARGET. Targets: safetensors, shard-index, config,
# vector, gguf, tokenizer, template, server.
set -euo pipefail
target=${1:?usage: fuzz/run.sh TARGET SECONDS}
seconds=${2:?usage: fuzz/run.sh TARGET SECONDS}
here=$(cd "$(dirname "$0")" && pwd)
out=${FUZZ_OUT:-$here/findings}/$target
seeds=$here/corpus/$target
[[ -d $seeds ]] || { echo "no seed corpus $seeds" >&2; exit 2; }
command -v afl-fuzz >/dev/null || { echo "afl-fuzz not found: apt-get install -y afl++" >&2; exit 2; }
export PATH="$PATH:$HOME/.dotnet/tools"
command -v sharpfuzz >/dev/null || dotnet tool install --global SharpFuzz.CommandLine --version 2.3.0

# Built outside the tree, so a run never shares obj/ with a build of the solution going on at the same time.
artifacts=${FUZZ_BUILD:-/tmp/steer-fuzz-build}
dotnet build "$here/Steer.Fuzz" -c Release --nologo -v quiet --artifacts-path "$artifacts"
# A fresh copy each run: instrumenting rewrites the assemblies in place, and twice is an error.
bin=$(mktemp -d /tmp/steer-fuzz-bin.XXXXXX)
trap 'rm -rf "$bin"' EXIT
cp -r "$artifacts/bin/Steer.Fuzz/release/." "$bin"
sharpfuzz "$bin/Steer.Core.dll"
[[ $target == server ]] && sharpfuzz "$bin/Steer.Server.dll"

case $target in
  template) dict=$here/dict/jinja.dict ;;
  config | shard-index | tokenizer | server | safetensors | vector) dict=$here/dict/json.dict ;;
  *) dict= ;;
esac

mkdir -p "$out"
# dotnet is not an afl-instrumented binary (SharpFuzz reports coverage itself); containers have no CPU governor.
export AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_AUTORESUME=1
afl-fuzz -i "$seeds" -o "$out" -t 5000 -m none -V "$seconds" ${dict:+-x "$dict"} -- dotnet "$bin/Steer.Fuzz.dll" "$target"
stats=$out/default/fuzzer_stats
grep -E '^(run_time|execs_done|execs_per_sec|corpus_count|saved_crashes|saved_hangs) ' "$stats" || true
