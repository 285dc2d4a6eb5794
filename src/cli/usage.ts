export const USAGE: Record<string, string> = {
  "": `ledge: an edge agent for routers and access points

usage:
  ledge run --config=PATH [-S SOCK] [-b INIT_URL] [--log-format=text|json] [--log-split]
  ledge --config=PATH [-b URL]            (SocketMan's command line)
  ledge ctl [-S SOCK] [--json] COMMAND [KEY VALUE]...
  ledge collect [--config=PATH] [--pretty]
  ledge check-config PATH [--print-permissions]
  ledge flags COMMAND [ARGS]...           (the deno flags a command needs)
  ledge version
  ledge help [COMMAND]

DEBUG=1 logs at debug level. See 'ledge help COMMAND' for details.`,
  run: `usage: ledge run --config=PATH [-S SOCK] [-b INIT_URL] [--log-format=text|json]
                 [--log-split]

Runs the agent in the foreground until SIGTERM/SIGINT or the 'terminate' control command.
SIGHUP re-reads the config (an invalid one is refused and the running one kept).
  -c, --config=PATH          config file (JSON with comments allowed)
  -S, --control-socket=SOCK  control socket path (default: config control_socket)
  -b, --init-url=URL         provision the config from URL (SocketMan's -b)
  --log-format=text|json     one line per event as text (default) or JSON
  --log-split                debug and info lines on stdout, warn and error on stderr
                             (default: all on stderr); procd logs them at daemon.info
                             and daemon.err
exit: 0 clean stop, 2 bad config or arguments, 1 fatal error (also: the control socket
is answered by another agent, or its path is not a socket; the file is left alone)`,
  ctl: `usage: ledge ctl [-S SOCK] [--json] COMMAND [KEY VALUE]...

Sends one control request and prints the answer. Values are typed the way BNG Blaster's
cli.py does it: integer, then a literal ([1,2], 1.5, True, False, None), else a string.
'ledge ctl help' lists the commands of the running agent, with their arguments.
  -S, --control-socket=SOCK  socket path (default: the config's control_socket with
                             --config, else /var/run/ledge.sock)
  -c, --config=PATH          take the socket path from this config
  --json                     print the raw JSON answer
exit: 0 ok, 1 warning/error or no agent, 2 bad usage
example: ledge ctl -S /tmp/ledge.sock log-level level debug`,
  collect: `usage: ledge collect [--config=PATH] [--pretty]

Collects one sample and prints it as JSON, the same shape that is uploaded.
exit: 0, or 1 if nothing could be read`,
  "check-config": `usage: ledge check-config PATH [--print-permissions] [-S SOCK] [-b URL]

Validates a config and prints the effective config (secrets as ***), or every error.
  --print-permissions  print the narrowest 'deno run' flags this config needs
exit: 0 valid, 2 invalid`,
  flags: `usage: ledge flags COMMAND [ARGS]...

Prints the 'deno run' flags that this command line needs, and no more: for 'run' the
hardened preset of its config (with -b and no config yet, what provisioning needs), for
'ctl' the control socket, for 'collect' the collectors. 'deno task ledge' and the
packages' /usr/bin/ledge run every command under these flags.
example: ledge flags run --config=/etc/ledge/config.json`,
  version: `usage: ledge version

Prints the ledge version, the Deno and V8 versions and the build target.`,
  help: `usage: ledge help [COMMAND]`,
};
