/** Reads a fixture file under tests/fixtures/ (real-format copies of /proc, tool output...). */
export function fixture(path: string): string {
  return Deno.readTextFileSync(new URL(`../fixtures/${path}`, import.meta.url));
}
