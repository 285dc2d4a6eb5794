/**
 * The one shape of "this, or why not" for what parses or decides: a value, or a reason
 * that names what was wrong and what is allowed. A yes/no question ("why is this off?")
 * answers `string | undefined` instead; a config answers all its errors at once.
 */

/** A value, or the reason there is none. */
export type Result<T> = { ok: true; value: T } | { ok: false; reason: string };
