/**
 * `deno task bench`: runs every bench in this folder, each in its own process, and prints
 * one table and one JSON object of their results. Each bench prints its own table and, as
 * its last JSON line, an object `{ "bench": NAME, "results": [{ name, median, baseline?,
 * ratio?, unit, goal? }] }`.
 */
const FLAGS = [
  "--allow-read",
  "--allow-write",
  "--allow-net",
  "--allow-run",
  "--allow-env",
  "--allow-sys",
];

export interface BenchRow {
  name: string;
  median: number;
  unit: string;
  baseline?: number;
  ratio?: number;
  goal?: string;
}
export interface BenchReport {
  bench: string;
  results: BenchRow[];
}

/** The last line of a bench's output that is a report. */
export function findReport(stdout: string): BenchReport | undefined {
  for (const line of stdout.trim().split("\n").reverse()) {
    try {
      const value = JSON.parse(line);
      if (value && typeof value.bench === "string" && Array.isArray(value.results)) return value;
    } catch { /* not the JSON line */ }
  }
  return undefined;
}

/** Prints rows as an aligned table. */
export function printTable(rows: BenchRow[], title = ""): void {
  const cells = rows.map((r) => [
    r.name,
    `${round(r.median)} ${r.unit}`,
    r.baseline === undefined ? "" : `${round(r.baseline)} ${r.unit}`,
    r.ratio === undefined ? "" : round(r.ratio).toString(),
    r.goal ?? "",
  ]);
  const header = ["measure", "median", "baseline", "ratio", "goal"];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  if (title) console.log(`\n${title}`);
  for (const row of [header, ...cells]) {
    console.log(row.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd());
  }
}

function round(n: number): number {
  return Math.abs(n) >= 100 ? Math.round(n) : Math.round(n * 100) / 100;
}

if (import.meta.main) {
  const only = Deno.args;
  const dir = new URL(".", import.meta.url).pathname;
  const files = [...Deno.readDirSync(dir)]
    .map((e) => e.name)
    .filter((n) => n.endsWith(".ts") && n !== "run.ts" && !n.startsWith("_"))
    .filter((n) => only.length === 0 || only.some((o) => n.includes(o)))
    .sort();
  const reports: BenchReport[] = [];
  for (const file of files) {
    console.log(`\n== bench/${file}`);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", ...FLAGS, `${dir}${file}`],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    console.log(stdout.trimEnd());
    const report = findReport(stdout);
    if (!out.success || !report) {
      console.log(`bench/${file}: ${out.success ? "no report line" : `exit ${out.code}`}`);
      continue;
    }
    reports.push(report);
  }
  console.log("\n== summary");
  printTable(
    reports.flatMap((r) => r.results.map((row) => ({ ...row, name: `${r.bench}: ${row.name}` }))),
  );
  console.log(JSON.stringify({ benches: reports }));
}
