/**
 * The median, apart from the measuring helpers: an in-process bench that imports those
 * loads the whole agent and the test support, and its collections then pay for marking
 * that heap (P4 +75 %, measured).
 */
/** The value at fraction `q` (0.5: the median, 0.99: p99) of samples sorted ascending. */
export function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

export function median(values: number[]): number {
  return quantile([...values].sort((a, b) => a - b), 0.5);
}
