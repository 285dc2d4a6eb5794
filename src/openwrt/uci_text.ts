/**
 * `uci export PACKAGE` (and a file in /etc/config: the same text without its `package`
 * line), read: the only output of uci's command line that tells a list from an option
 * (`uci get` and `uci show` print a one-element list as an option), so that a backup
 * restores a list as a list. Pure: the text in, the sections out.
 */

/** An option's value: a string, or a list of strings. */
export type UciValue = string | string[];

/** One `config` block of a package, in file order. */
export interface UciSection {
  /** Its type (`wifi-iface`). */
  type: string;
  /** Its name; absent for an anonymous section. */
  name?: string;
  /** Its options and lists. */
  options: Map<string, UciValue>;
}

/**
 * The words of one export line: bare words, and `'...'` values in which uci writes a
 * quote as `'\''`.
 */
function words(line: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    if (line[i] === " " || line[i] === "\t") {
      i++;
      continue;
    }
    let word = "";
    if (line[i] !== "'") {
      while (i < line.length && line[i] !== " " && line[i] !== "\t") word += line[i++];
      out.push(word);
      continue;
    }
    for (;;) {
      const end = line.indexOf("'", i + 1);
      if (end < 0) return undefined;
      word += line.slice(i + 1, end);
      i = end + 1;
      if (!line.startsWith("\\''", i)) break;
      word += "'";
      i += 2; // at the quote that opens the rest of the value
    }
    out.push(word);
  }
  return out;
}

/**
 * The sections of `uci export` output.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const [lan] = parseUciExport("package dhcp\n\nconfig dhcp 'lan'\n\tlist dns '1.1.1.1'\n");
 * assert.deepEqual(lan.options.get("dns"), ["1.1.1.1"]);
 * ```
 */
export function parseUciExport(text: string): UciSection[] {
  const sections: UciSection[] = [];
  for (const line of text.split("\n")) {
    const parts = words(line);
    if (!parts || parts.length < 2) continue;
    const [keyword, first, second] = parts;
    if (keyword === "config") {
      sections.push({
        type: first,
        ...(second !== undefined ? { name: second } : {}),
        options: new Map(),
      });
      continue;
    }
    const section = sections.at(-1);
    if (!section || second === undefined) continue;
    if (keyword === "option") section.options.set(first, second);
    else if (keyword === "list") {
      const list = section.options.get(first);
      section.options.set(first, Array.isArray(list) ? [...list, second] : [second]);
    }
  }
  return sections;
}

/**
 * The section a path's middle names: `lan`, or `@wifi-iface[0]` (the first of that type;
 * `[-1]` the last), as uci resolves it.
 */
export function findSection(sections: UciSection[], selector: string): UciSection | undefined {
  const anonymous = /^@([A-Za-z0-9_-]+)\[(-?\d+)\]$/.exec(selector);
  if (!anonymous) return sections.find((s) => s.name === selector);
  return sections.filter((s) => s.type === anonymous[1]).at(Number(anonymous[2]));
}
