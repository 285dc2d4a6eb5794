/**
 * A config key, described once: how a value is parsed, what is allowed (for errors and the
 * docs), its default, what it does, and the folders of src/ that read it. The `Config` type,
 * the defaults and docs/config.md's tables are derived from these (schema.ts,
 * scripts/config_docs.ts).
 */
import * as z from "zod/mini";

/** A folder of src/ that reads a key. */
export type Owner =
  | "agent"
  | "cli"
  | "collect"
  | "control"
  | "desired"
  | "health"
  | "jobs"
  | "log"
  | "mqtt"
  | "provision"
  | "replies"
  | "spool"
  | "upgrade"
  | "uplink";

/** What a key is, beside its value's schema. */
export interface KeyText {
  /** What it does, one line for the docs' table. */
  what: string;
  /** The folders that read it. */
  owners: readonly Owner[];
  /** A key SocketMan has (same name, same meaning). */
  socketman?: boolean;
}

/**
 * A key with a default (a value as the file would give it: parsed by the key's schema, so
 * that an object key's inner defaults fill in), or one filled in from other keys (said in
 * `derived`), or neither.
 */
type Filling = { default: unknown } | { derived: string } | Record<never, never>;

/** A parser of a key's values (a zod mini schema is one). */
export interface Schema<T> {
  /** The value parsed, or the issues that refuse it (the first names where). */
  safeParse(value: unknown):
    | { success: true; data: T }
    | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
  /** The value parsed; throws when it is refused. */
  parse(value: unknown): T;
}

/** One config key. `Filled`: whether the effective config always has it. */
export interface Field<T = unknown, Filled extends boolean = boolean> extends KeyText {
  /** Parses a value given in the file. */
  schema: Schema<T>;
  /** What is allowed, in the operator's words. */
  allowed: string;
  /** The value when the key is not given, before it is parsed. */
  default?: unknown;
  /** How it is filled in from other keys when not given. */
  derived?: string;
  /** The keys inside an object key (`desired.confirm_s`), for the docs. */
  sub?: Record<string, Field>;
  /** Phantom: whether the key is always there. */
  readonly filled?: Filled;
}

type HasFilling<S> = S extends { default: unknown } | { derived: string } ? true : false;

/** A key: its schema, what is allowed, its text and how it is filled in. */
export function key<T, S extends KeyText & Filling>(
  schema: Schema<T>,
  allowed: string,
  spec: S,
): Field<T, HasFilling<S>> & S {
  return { schema, allowed, ...spec } as Field<T, HasFilling<S>> & S;
}

/** The value of each key of `F`: the filled ones always there, the others optional. */
export type ValuesOf<F extends Record<string, Field>> =
  & { [K in keyof F as F[K] extends Field<unknown, true> ? K : never]: ValueOf<F[K]> }
  & { [K in keyof F as F[K] extends Field<unknown, true> ? never : K]?: ValueOf<F[K]> };

/** The value of a key. */
export type ValueOf<F> = F extends Field<infer T> ? T : never;

/** The defaults of the keys of `F` that have one. */
export type DefaultsOf<F extends Record<string, Field>> = {
  [K in keyof F as F[K] extends { default: unknown } ? K : never]: ValueOf<F[K]>;
};

/**
 * An object key made of keys (`desired`, `upgrade`): each inner key is parsed by its own
 * schema and filled with its default; an inner key `derived` is filled in by validate.ts.
 */
export function objectOf<F extends Record<string, Field>>(fields: F): Schema<ValuesOf<F>> {
  const shape = Object.fromEntries(
    Object.entries(fields).map(([name, field]) => [
      name,
      field.default === undefined
        ? z.optional(field.schema as z.ZodMiniType)
        : z._default(field.schema as z.ZodMiniType, () => structuredClone(field.default)),
    ]),
  );
  return z.object(shape) as unknown as Schema<ValuesOf<F>>;
}

/** The defaults of `fields`, each parsed (an object key's inner defaults filled in). */
export function defaultsOf<F extends Record<string, Field>>(fields: F): DefaultsOf<F> {
  return Object.fromEntries(
    Object.entries(fields)
      .filter(([, field]) => field.default !== undefined)
      .map(([name, field]) => [name, field.schema.parse(structuredClone(field.default))]),
  ) as DefaultsOf<F>;
}
