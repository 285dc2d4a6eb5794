import { assert, assertEquals } from "../../tests/support/assert.ts";
import { parseCommandArgs } from "./args.ts";
import { UsageError } from "./output.ts";

const OPTIONS = {
  config: { type: "string", short: "c" },
  json: { type: "boolean" },
} as const;

Deno.test("args: long, inline, short and attached values; booleans; positionals after --", () => {
  const cases: [string[], Record<string, unknown>, string[]][] = [
    [["--config", "/a.json"], { config: "/a.json" }, []],
    [["--config=/b.json", "run"], { config: "/b.json" }, ["run"]],
    [["-c", "/c.json"], { config: "/c.json" }, []],
    [["-c/d.json"], { config: "/d.json" }, []],
    [["--config=a=b"], { config: "a=b" }, []],
    [["--json", "status", "-"], { json: true }, ["status", "-"]],
    [["--", "--json", "-c"], {}, ["--json", "-c"]],
    [["--config", "--json"], { config: "--json" }, []],
  ];
  for (const [argv, values, positionals] of cases) {
    assertEquals(parseCommandArgs(argv, OPTIONS), { values, positionals }, argv.join(" "));
  }
});

Deno.test("args: each misuse is a UsageError that names the flag", () => {
  const cases: [string[], string][] = [
    [["--nope"], "Unknown option '--nope'"],
    [["-x"], "Unknown option '-x'"],
    [["--constructor"], "Unknown option '--constructor'"],
    [["--__proto__=1"], "Unknown option '--__proto__=1'"],
    [["--json=yes"], "Option '--json' does not take a value"],
    [["--config"], "Option '--config' needs a value"],
    [["-c"], "Option '--config' needs a value"],
  ];
  for (const [argv, message] of cases) {
    let error: unknown;
    try {
      parseCommandArgs(argv, OPTIONS);
    } catch (e) {
      error = e;
    }
    assert(error instanceof UsageError, argv.join(" "));
    assertEquals(error.message, message);
  }
});
