/**
 * Environment variables read without ever prompting: a variable the process may not read
 * is simply absent (the hardened preset grants only DEBUG and DENO_USR2_MEMORY_TRIM).
 */
export function envGet(variable: string): string | undefined {
  if (Deno.permissions.querySync({ name: "env", variable }).state !== "granted") return undefined;
  return Deno.env.get(variable);
}

export function debugRequested(): boolean {
  const value = envGet("DEBUG");
  return value !== undefined && value !== "" && value !== "0";
}
