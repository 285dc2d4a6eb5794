/** What users read stays true to the code: generated parts of docs/ are current. */
import { assertEquals } from "./support/assert.ts";
import { PAGE, withTables } from "../scripts/config_docs.ts";

/** Table rows compared cell by cell: `deno fmt` pads them. */
const normalized = (page: string) =>
  page.split("\n").map((line) =>
    line.startsWith("|")
      ? line.split(/(?<!\\)\|/).map((cell) => cell.trim().replace(/^-+$/, "---")).join("|")
      : line
  );

Deno.test("docs/config.md's tables of keys are those of src/config/keys/ (deno task docs)", async () => {
  const page = await Deno.readTextFile(PAGE);
  assertEquals(normalized(page), normalized(withTables(page)));
});
