import { assertEquals } from "../tests/support/assert.ts";
import { backUpImports, components, type Graph, importsOf, layers } from "./imports.ts";

Deno.test("imports: relative imports and re-exports are found, type imports included", () => {
  const text = [
    'import type { A } from "./a.ts";',
    'export { B } from "../b/mod.ts";',
    'import "./side.ts";',
    'import { z } from "zod/mini";',
  ].join("\n");
  assertEquals(importsOf("/r/x/m.ts", text), ["/r/x/a.ts", "/r/b/mod.ts", "/r/x/side.ts"]);
});

Deno.test("imports: a circle is one component; layers count from what imports nothing", () => {
  const graph: Graph = new Map([
    ["/r/a/1.ts", ["/r/b/1.ts"]],
    ["/r/b/1.ts", ["/r/a/2.ts"]],
    ["/r/a/2.ts", []],
    ["/r/c/1.ts", ["/r/c/2.ts"]],
    ["/r/c/2.ts", ["/r/c/1.ts"]],
  ]);
  const circles = components(graph).filter((c) => c.length > 1).map((c) => c.sort());
  assertEquals(circles, [["/r/c/1.ts", "/r/c/2.ts"]]);
  assertEquals(layers(graph).get("/r/a/1.ts"), 3);
  // Folder a imports b, which imports a back: both imports are counted.
  assertEquals(backUpImports("/r", graph), ["a/1.ts -> b/1.ts", "b/1.ts -> a/2.ts"]);
});
