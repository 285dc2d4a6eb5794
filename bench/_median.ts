/**
 * The median, apart from the measuring helpers: an in-process bench that imports those
 * loads the whole agent and the test support, and its collections then pay for marking
 * that heap (P4 +75 %, measured).
 */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
