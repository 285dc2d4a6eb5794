#!/bin/sh
# ledge: the agent bundle on its private runtime (/usr/lib/ledge carries the glibc loader
# and libraries it needs, so it runs on musl). Every command runs under exactly the Deno
# flags it needs (`ledge flags`); `run` under its config's hardened preset, computed at each
# start, so a changed config gets its own, narrower flags.
LIB=/usr/lib/ledge
# Root's own directory on tmpfs (/var/run is root's, 0755; never a name in /tmp that a local
# user could make first): the runtime's code cache, and the flags the agent runs under.
RUN=/var/run/ledge
umask 077

# Nothing inherited reaches the runtime but DEBUG, NO_COLOR and DENO_CERT (a private CA for
# images): procd's LD_PRELOAD (musl's line-buffering shim) would load into glibc's deno and
# make it refuse every subprocess. PATH ends with ledge's own setsid (stock busybox has
# none): jobs start in their own session without a fork of the whole agent.
# DENO_USR2_MEMORY_TRIM: the agent gives freed memory back in idle moments by signalling
# itself (SIGUSR2 = malloc_trim + a low-memory GC); without it SIGUSR2 would kill.
runtime() {
	exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin:$LIB/bin DENO_DIR=$RUN/deno \
		DENO_NO_UPDATE_CHECK=1 DENO_USR2_MEMORY_TRIM=1 ${DEBUG:+"DEBUG=$DEBUG"} \
		${NO_COLOR:+"NO_COLOR=$NO_COLOR"} ${DENO_CERT:+"DENO_CERT=$DENO_CERT"} \
		"$LIB/deno" run --quiet --no-prompt --no-remote --no-config --no-lock "$@"
}

flags=$(runtime --allow-read "$LIB/ledge.js" flags -- "$@") || exit
if [ "$1" = run ]; then
	mkdir -p "$RUN" && printf '%s\n' "$flags" >"$RUN/flags" || exit
fi
# One flag a line, split on newlines only and never globbed: `ledge flags` refuses a value
# with a control character, so no value becomes two arguments.
IFS='
'
set -f
# shellcheck disable=SC2086
runtime $flags "$LIB/ledge.js" "$@"
