/**
 * `deno task imports [DIR]`: the import graph of `src/` (or DIR), type imports included,
 * tests left out: how many layers it has, its circles (files that import each other,
 * directly or not), and the imports that run back up between folders (folder A imports B
 * while B, through some file, imports A; a file at the root counts as a folder). The
 * house's rules: no circle, at most two imports back up; it exits 1 past them.
 */

/** A module and what it imports. */
export type Graph = Map<string, string[]>;

const IMPORT =
  /^\s*(?:import|export)\b[^"';]*?from\s*["']([^"']+)["']|^\s*import\s*["']([^"']+)["']/gm;

/** The relative imports of one module's text, resolved against its path. */
export function importsOf(path: string, text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(IMPORT)) {
    const spec = match[1] ?? match[2];
    if (spec.startsWith(".")) found.push(new URL(spec, `file://${path}`).pathname);
  }
  return [...new Set(found)];
}

/** The graph of the `.ts` files under `root` but tests. */
export async function graphOf(root: string): Promise<Graph> {
  const graph: Graph = new Map();
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (path.endsWith(".ts") && !path.endsWith("_test.ts")) {
        graph.set(path, importsOf(path, await Deno.readTextFile(path)));
      }
    }
  };
  await walk(root);
  for (const [path, deps] of graph) graph.set(path, deps.filter((d) => graph.has(d)));
  return graph;
}

/** The strongly connected components (Tarjan), each a list of nodes. */
export function components(graph: Graph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  let next = 0;
  const visit = (node: string) => {
    index.set(node, next);
    low.set(node, next++);
    stack.push(node);
    onStack.add(node);
    for (const dep of graph.get(node) ?? []) {
      if (!index.has(dep)) {
        visit(dep);
        low.set(node, Math.min(low.get(node)!, low.get(dep)!));
      } else if (onStack.has(dep)) low.set(node, Math.min(low.get(node)!, index.get(dep)!));
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      out.push(component);
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return out;
}

/** Each node's layer: 1 for what imports nothing, else one more than its deepest import. */
export function layers(graph: Graph): Map<string, number> {
  const of = new Map<string, number>();
  const component = new Map<string, string[]>();
  for (const members of components(graph)) for (const m of members) component.set(m, members);
  // Tarjan returns components dependencies first: a component's imports have their layers.
  for (const members of components(graph)) {
    let layer = 1;
    for (const m of members) {
      for (const dep of graph.get(m) ?? []) {
        if (!members.includes(dep)) layer = Math.max(layer, of.get(dep)! + 1);
      }
    }
    for (const m of members) of.set(m, layer);
  }
  return of;
}

/** The folder of a module relative to `root`; a file at the root is a unit of its own. */
function folderOf(root: string, path: string): string {
  const rel = path.slice(root.length + 1);
  return rel.includes("/") ? rel.slice(0, rel.indexOf("/")) : rel;
}

/** Imports from one folder to another that the other folder imports back, as `a.ts -> b.ts`. */
export function backUpImports(root: string, graph: Graph): string[] {
  const folders: Graph = new Map();
  for (const [path, deps] of graph) {
    const from = folderOf(root, path);
    const list = folders.get(from) ?? [];
    for (const dep of deps) {
      const to = folderOf(root, dep);
      if (to !== from && !list.includes(to)) list.push(to);
    }
    folders.set(from, list);
  }
  const cyclic = components(folders).filter((c) => c.length > 1);
  const together = (a: string, b: string) => cyclic.some((c) => c.includes(a) && c.includes(b));
  const found: string[] = [];
  for (const [path, deps] of graph) {
    for (const dep of deps) {
      const [a, b] = [folderOf(root, path), folderOf(root, dep)];
      if (a !== b && together(a, b)) {
        found.push(`${path.slice(root.length + 1)} -> ${dep.slice(root.length + 1)}`);
      }
    }
  }
  return found.sort();
}

if (import.meta.main) {
  const root = `${Deno.cwd()}/${Deno.args[0] ?? "src"}`.replace(/\/$/, "");
  const graph = await graphOf(root);
  const circles = components(graph).filter((c) => c.length > 1);
  const back = backUpImports(root, graph);
  const depth = Math.max(...layers(graph).values());
  console.log(`${graph.size} modules, ${depth} layers`);
  console.log(`circles: ${circles.length}`);
  for (const circle of circles) {
    const names = circle.map((p) => p.slice(root.length + 1)).sort();
    console.log(`  ${names.length} files: ${names.join(", ")}`);
  }
  console.log(`imports back up between folders: ${back.length}`);
  for (const line of back) console.log(`  ${line}`);
  if (circles.length > 0 || back.length > 2) Deno.exit(1);
}
