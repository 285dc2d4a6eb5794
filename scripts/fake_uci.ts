/**
 * A stand-in for OpenWRT's `uci` where there is none (the demo, the tests): a shell script
 * that keeps options as `path=value` lines in `<dir>/uci.db` and answers `get`, `set`,
 * `delete` and `commit` as uci does (exit 1 for an option that is not set). Changes are
 * written at once; `commit` has nothing left to do.
 */
function fakeUciScript(dir: string): string {
  return `#!/bin/sh
DB='${dir}/uci.db'
[ "$1" = "-q" ] && shift
case "$1" in
  get) awk -v k="$2" 'index($0, k "=") == 1 { print substr($0, length(k) + 2); found = 1 }
       END { exit !found }' "$DB" ;;
  set) k=\${2%%=*}; awk -v k="$k" 'index($0, k "=") != 1' "$DB" > "$DB.new"
       echo "$2" >> "$DB.new" && mv "$DB.new" "$DB" ;;
  delete) awk -v k="$2" 'index($0, k "=") != 1' "$DB" > "$DB.new" && mv "$DB.new" "$DB" ;;
  commit) ;;
  *) echo "uci: unknown command $1" >&2; exit 2 ;;
esac
`;
}

/** Writes the fake `uci` (with `options` in its store) to `<dir>/uci`; returns its path. */
export async function installFakeUci(dir: string, options: string[]): Promise<string> {
  await Deno.writeTextFile(`${dir}/uci.db`, options.map((o) => `${o}\n`).join(""));
  await Deno.writeTextFile(`${dir}/uci`, fakeUciScript(dir), { mode: 0o755 });
  return `${dir}/uci`;
}
