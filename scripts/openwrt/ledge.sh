#!/bin/sh
# ledge: the agent bundle on its private runtime (/usr/lib/ledge carries the glibc loader
# and libraries it needs, so it runs on musl). Every command runs under exactly the Deno
# flags it needs (`ledge flags`); `run` under its config's hardened preset, computed at each
# start, so a changed config gets its own, narrower flags. The runtime's caches go to
# tmpfs, never to flash.
LIB=/usr/lib/ledge
RUNTIME=/tmp/ledge-runtime
# DENO_USR2_MEMORY_TRIM: the agent gives freed memory back in idle moments by signalling
# itself (SIGUSR2 = malloc_trim + a low-memory GC); without it SIGUSR2 would kill.
export DENO_DIR="$RUNTIME/deno" DENO_NO_UPDATE_CHECK=1 DENO_USR2_MEMORY_TRIM=1
deno() {
	"$LIB/deno" run --quiet --no-prompt --no-remote --no-config --no-lock "$@"
}
flags=$(deno --allow-read "$LIB/ledge.js" flags -- "$@") || exit
if [ "$1" = run ]; then
	mkdir -p "$RUNTIME" && echo "$flags" >"$RUNTIME/flags"
fi
# The flags are words without spaces: split them. exec: signals reach the agent itself.
# shellcheck disable=SC2086
exec "$LIB/deno" run --quiet --no-prompt --no-remote --no-config --no-lock $flags "$LIB/ledge.js" "$@"
