/** A small JSON state file: read and checked against its schema, written atomically. */
import type { Fs } from "./fs.ts";

/** What a schema offers to check a value (zod's `safeParse`, structurally). */
export interface JsonSchema<T> {
  /** The value checked: its parsed form, or the first issue. */
  safeParse(value: unknown):
    | { success: true; data: T }
    | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
}

/**
 * The file's value, checked; undefined when there is no file; an error naming the file and
 * what is wrong with it otherwise.
 */
export async function readJsonFile<T>(
  path: string,
  schema: JsonSchema<T>,
  fs: Fs,
  maxBytes = 1024 * 1024,
): Promise<T | undefined> {
  let text: string;
  try {
    text = await fs.readTextFile(path, { maxBytes });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error(`${path} is not JSON`);
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new Error(`${path}: invalid ${issue.path.join(".") || "value"}: ${issue.message}`);
}
