#!/bin/sh
# Makes TorchSharp 0.107's libLibTorchSharp.so load on systems whose libstdc++ predates GCC 13
# (Debian 12, Ubuntu 22.04). Run by MSBuild after the native files reach an output folder.
#
#   fix-torchsharp-glibcxx.sh NATIVE_DIR WORK_DIR
#
# 1. If the system libstdc++ already provides GLIBCXX_3.4.32, do nothing.
# 2. Otherwise mark libLibTorchSharp.so's GLIBCXX_3.4.32 requirement weak (VER_FLG_WEAK), and
#    build libsteer_glibcxx_shim.so beside it: it defines the one missing function,
#    std::ios_base_library_init(), which Steer.Core dlopens (RTLD_GLOBAL) before TorchSharp.
# Idempotent; every run says what it did. Exit status is always 0: a failure is reported and
# Steer.Core then explains at run time why TorchSharp could not load.
set -u
native_dir=$1
work_dir=$2
here=$(cd "$(dirname "$0")" && pwd)
lib="$native_dir/libLibTorchSharp.so"
shim="$native_dir/libsteer_glibcxx_shim.so"
say() { echo "steer: torchsharp-glibcxx: $*"; }

[ -f "$lib" ] || { say "no $lib, nothing to do"; exit 0; }

libstdcxx=$( (ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null) | awk '/libstdc\+\+\.so\.6 /{print $NF; exit}')
if [ -z "$libstdcxx" ]; then
  for p in /usr/lib/x86_64-linux-gnu/libstdc++.so.6 /usr/lib/aarch64-linux-gnu/libstdc++.so.6 /usr/lib64/libstdc++.so.6; do
    [ -f "$p" ] && { libstdcxx=$p; break; }
  done
fi
if [ -n "$libstdcxx" ] && grep -qa 'GLIBCXX_3\.4\.32' "$libstdcxx"; then
  rm -f "$shim"
  say "$libstdcxx has GLIBCXX_3.4.32; no patch needed"
  exit 0
fi

cc=${CC:-cc}
command -v "$cc" >/dev/null 2>&1 || cc=gcc
if ! command -v "$cc" >/dev/null 2>&1; then
  say "WARNING: libstdc++ lacks GLIBCXX_3.4.32 and no C compiler was found; TorchSharp will not load. Install gcc (apt-get install gcc) and rebuild."
  exit 0
fi

mkdir -p "$work_dir"
patcher="$work_dir/elf_weaken_verneed"
if [ ! -x "$patcher" ] || [ "$here/native/elf_weaken_verneed.c" -nt "$patcher" ]; then
  "$cc" -O2 -o "$patcher" "$here/native/elf_weaken_verneed.c" || { say "WARNING: could not compile the ELF patcher"; exit 0; }
fi
"$patcher" "$lib" GLIBCXX_3.4.32
case $? in
  0) say "marked GLIBCXX_3.4.32 weak in $lib" ;;
  3) say "GLIBCXX_3.4.32 already weak in $lib" ;;
  4) say "$lib does not require GLIBCXX_3.4.32; nothing to patch"; exit 0 ;;
  *) say "WARNING: could not patch $lib"; exit 0 ;;
esac

if [ ! -f "$shim" ] || [ "$here/native/glibcxx_shim.c" -nt "$shim" ]; then
  "$cc" -shared -fPIC -O2 -Wl,--version-script="$here/native/glibcxx_shim.map" \
      -o "$shim" "$here/native/glibcxx_shim.c" \
    && say "built $shim" \
    || say "WARNING: could not build $shim"
else
  say "$shim is up to date"
fi
exit 0
