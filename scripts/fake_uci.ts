/**
 * A stand-in for OpenWRT's `uci` where there is none (the demo, the tests): a shell script
 * that keeps options as `path=value` lines (a list's items as `path+=value`) in
 * `<dir>/uci.db` and answers `get`, `export`, `set`, `add_list`, `delete` and `commit` as
 * uci does: exit 1 for what is not set, values quoted in `export` as uci quotes them. Changes
 * are written at once; `commit` has nothing left to do. The real uci is tested in
 * tests/openwrt/.
 */
function fakeUciScript(dir: string): string {
  return `#!/bin/sh
DB='${dir}/uci.db'
[ "$1" = "-q" ] && shift
without() { awk -v k="$1" 'index($0, k "=") != 1 && index($0, k "+=") != 1' "$DB" > "$DB.new"; }
case "$1" in
  get) awk -v k="$2" 'index($0, k "=") == 1 { print substr($0, length(k) + 2); found = 1 }
       END { exit !found }' "$DB" ;;
  export) awk -v p="$2" '
       function q(v) { gsub(/'"'"'/, "'"'"'\\\\'"'"''"'"'", v); return "'"'"'" v "'"'"'" }
       index($0, p ".") == 1 {
         found = 1; eq = index($0, "="); key = substr($0, 1, eq - 1); value = substr($0, eq + 1)
         kind = "option"; if (substr(key, length(key)) == "+") { kind = "list"; key = substr(key, 1, length(key) - 1) }
         rest = substr(key, length(p) + 2); dot = match(rest, /\\.[^.]*$/)
         section = substr(rest, 1, dot - 1); option = substr(rest, dot + 1)
         if (!(section in seen)) { seen[section] = ++n; order[n] = section }
         lines[section] = lines[section] "\\t" kind " " option " " q(value) "\\n"
       }
       END {
         if (!found) exit 1
         print "package " p
         for (i = 1; i <= n; i++) {
           s = order[i]
           if (substr(s, 1, 1) == "@") { t = substr(s, 2); sub(/\\[.*/, "", t); print "\\nconfig " t }
           else print "\\nconfig " s " " q(s)
           printf "%s", lines[s]
         }
       }' "$DB" ;;
  set) without "\${2%%=*}" && echo "$2" >> "$DB.new" && mv "$DB.new" "$DB" ;;
  add_list) echo "\${2%%=*}+=\${2#*=}" >> "$DB" ;;
  delete) without "$2" && mv "$DB.new" "$DB" ;;
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
