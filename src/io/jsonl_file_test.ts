import { assertEquals } from "../../tests/support/assert.ts";
import { tempDir } from "../../tests/support/process.ts";
import { JsonLinesFile } from "./jsonl_file.ts";

Deno.test("JsonLinesFile appends durably, rewrites atomically and reads back in order", async () => {
  await using dir = await tempDir();
  const file = new JsonLinesFile(`${dir.path}/state/x.jsonl`); // the directory is made
  assertEquals(await file.read(), { values: [], skipped: 0 });
  await file.append([{ a: 1 }, "two\nlines"]);
  await file.append([[3]]);
  assertEquals((await new JsonLinesFile(file.path).read()).values, [{ a: 1 }, "two\nlines", [3]]);
  await file.rewrite([4]);
  await file.append([5]);
  file.close();
  assertEquals(await Deno.readTextFile(file.path), "4\n5\n");
  const { mode } = await Deno.stat(file.path);
  assertEquals((mode ?? 0) & 0o777, 0o600);
});

Deno.test("JsonLinesFile skips a torn last line and lines that are not JSON", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/x.jsonl`;
  await Deno.writeTextFile(path, '[1]\nnot json\n{"ok":true}\n{"torn":');
  assertEquals(await new JsonLinesFile(path).read(), { values: [[1], { ok: true }], skipped: 2 });
});
