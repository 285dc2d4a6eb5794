/**
 * `ledge ctl` types `key value` pairs the way BNG Blaster's cli.py does: `int(value)`,
 * then `ast.literal_eval(value)`, else the raw string. Operators' scripts written for
 * cli.py therefore send the same JSON through ledge ctl.
 */

/** Python's int(): optional sign, digits with single underscores, surrounding blanks. */
const PY_INT = /^\s*[+-]?\d+(_\d+)*\s*$/;

/**
 * The JSON value cli.py would send for one command line word.
 * @example
 * pythonValue("12"); // 12
 * pythonValue("[1, 'a', True]"); // [1, "a", true]
 * pythonValue("eth0"); // "eth0"
 */
export function pythonValue(text: string): unknown {
  if (PY_INT.test(text)) return Number(text.replaceAll("_", ""));
  try {
    const parser = new LiteralParser(text);
    const value = parser.value();
    parser.end();
    return value;
  } catch {
    return text;
  }
}

/** A recursive-descent reader for the literals ast.literal_eval accepts that JSON can hold. */
class LiteralParser {
  #pos = 0;
  constructor(private readonly text: string) {}

  value(): unknown {
    this.#blank();
    const c = this.text[this.#pos];
    if (c === "[") return this.#sequence("]");
    if (c === "(") return this.#sequence(")");
    if (c === "{") return this.#dict();
    if (c === "'" || c === '"') return this.#string(c);
    const word = /^(True|False|None)\b/.exec(this.text.slice(this.#pos));
    if (word) {
      this.#pos += word[0].length;
      return { True: true, False: false, None: null }[word[0]];
    }
    const number = /^[+-]?(\d[\d_]*\.?[\d_]*|\.\d[\d_]*)([eE][+-]?\d+)?/.exec(
      this.text.slice(this.#pos),
    );
    if (!number) throw new SyntaxError(`unexpected ${c ?? "end"}`);
    this.#pos += number[0].length;
    return Number(number[0].replaceAll("_", ""));
  }

  end(): void {
    this.#blank();
    if (this.#pos !== this.text.length) throw new SyntaxError("trailing text");
  }

  #blank(): void {
    while (/\s/.test(this.text[this.#pos] ?? "")) this.#pos++;
  }

  #expect(c: string): boolean {
    this.#blank();
    if (this.text[this.#pos] !== c) return false;
    this.#pos++;
    return true;
  }

  #items(close: string, item: () => void): void {
    this.#pos++;
    while (!this.#expect(close)) {
      item();
      if (!this.#expect(",")) {
        if (!this.#expect(close)) throw new SyntaxError(`expected , or ${close}`);
        return;
      }
    }
  }

  #sequence(close: string): unknown[] {
    const items: unknown[] = [];
    this.#items(close, () => items.push(this.value()));
    return items;
  }

  #dict(): Record<string, unknown> {
    const dict: Record<string, unknown> = {};
    this.#items("}", () => {
      const key = this.value();
      if (!this.#expect(":")) throw new SyntaxError("expected :");
      dict[String(key)] = this.value();
    });
    return dict;
  }

  #string(quote: string): string {
    let out = "";
    for (this.#pos++; this.#pos < this.text.length; this.#pos++) {
      const c = this.text[this.#pos];
      if (c === quote) {
        this.#pos++;
        return out;
      }
      if (c !== "\\") {
        out += c;
        continue;
      }
      const next = this.text[++this.#pos];
      const hex = { x: 2, u: 4, U: 8 }[next as "x" | "u" | "U"];
      if (hex) {
        const digits = this.text.slice(this.#pos + 1, this.#pos + 1 + hex);
        if (!/^[0-9a-fA-F]+$/.test(digits) || digits.length !== hex) {
          throw new SyntaxError("bad escape");
        }
        out += String.fromCodePoint(parseInt(digits, 16));
        this.#pos += hex;
      } else {
        const simple: Record<string, string> = { n: "\n", t: "\t", r: "\r", "0": "\0" };
        out += simple[next] ?? (`\\'"`.includes(next) ? next : `\\${next}`);
      }
    }
    throw new SyntaxError("unterminated string");
  }
}
