// Node's assert module keeps the project free of JSR (@std/assert is not reachable here).
// `as string`: mqtt pulls in npm @types/node, whose overloads refuse `string | undefined`.
import assertNode from "node:assert/strict";

export function assert(condition: unknown, message?: string): asserts condition {
  assertNode.ok(condition, message as string);
}
export function assertEquals<T>(actual: unknown, expected: T, message?: string): void {
  assertNode.deepStrictEqual(actual, expected, message as string);
}
export function assertNotEquals(actual: unknown, expected: unknown, message?: string): void {
  assertNode.notDeepStrictEqual(actual, expected, message as string);
}
export function assertMatch(actual: string, pattern: RegExp, message?: string): void {
  assertNode.match(actual, pattern, message as string);
}
export async function assertRejects(
  fn: () => Promise<unknown>,
  pattern: RegExp = /./,
): Promise<void> {
  await assertNode.rejects(fn, pattern);
}
export function assertThrows(fn: () => unknown, pattern: RegExp = /./): void {
  assertNode.throws(fn, pattern);
}
