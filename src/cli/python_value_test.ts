import { assertEquals } from "../../tests/support/assert.ts";
import { pythonValue } from "./python_value.ts";

Deno.test("integers first, the way Python's int() reads them", () => {
  assertEquals(["12", "-3", "+7", " 42 ", "1_000"].map(pythonValue), [12, -3, 7, 42, 1000]);
});

Deno.test("then Python literals: lists, tuples, dicts, floats, True/False/None, strings", () => {
  assertEquals(pythonValue("[1, 2]"), [1, 2]);
  assertEquals(pythonValue("(1, 'a',)"), [1, "a"]);
  assertEquals(pythonValue("{'a': [True, None], 2: 1.5}"), { a: [true, null], "2": 1.5 });
  assertEquals(["1.5", "-.5", "1e3", "True", "False", "None"].map(pythonValue), [
    1.5,
    -0.5,
    1000,
    true,
    false,
    null,
  ]);
  assertEquals(pythonValue(`'it\\'s'`), "it's");
  assertEquals(pythonValue(`"tab\\there \\x41\\u00e9"`), "tab\there Aé");
});

Deno.test("anything else is the raw string (cli.py sends lowercase true as a string)", () => {
  for (const raw of ["eth0", "true", "1.2.3", "[1, 2", "'open", "None of it", "", "00:11:22"]) {
    assertEquals(pythonValue(raw), raw);
  }
});
