/**
 * Deno permissions as the agent reasons about them: what a capability needs for a config
 * (its spec says), the `deno run` flags of a whole preset (`check-config
 * --print-permissions`), and which of them this process lacks (a capability without its
 * permission is disabled with one log line).
 */

export interface Needs {
  /** Paths for `--allow-read`. */
  read: string[];
  /** Paths for `--allow-write`. */
  write: string[];
  /** `host:port` (or `unix:path`) for `--allow-net`. */
  net: string[];
  /** Programs for `--allow-run`. */
  run: string[];
  /** Deno.* system APIs for `--allow-sys`. */
  sys: string[];
  /** Variables for `--allow-env`. */
  env: string[];
  /** Hosts whose certificates are not checked (`insecure`): not a permission, a flag. */
  insecure: string[];
}

/** What a capability needs for one config. */
export interface CapabilityNeeds {
  /** Everything the capability can use: what the preset grants. */
  flags: Needs;
  /** The part without which it cannot run at all (defaults to `flags`). */
  gate?: Partial<Needs>;
}

/** How the agent was started, beside its config. */
export interface RunContext {
  /** The config file. */
  configPath: string;
  /** The control socket's path; null when it is off. */
  controlSocket: string | null;
  /** `-b URL`: the config is fetched from there and the config file may be written. */
  initUrl?: string;
}

/** Needs whose lists may hold unset values. */
export type LooseNeeds = { [K in keyof Needs]?: (string | undefined)[] };

const KINDS: (keyof Needs)[] = ["read", "write", "net", "run", "sys", "env", "insecure"];

/** Needs from lists that may hold `undefined` (an unset config key). */
export function needs(partial: LooseNeeds): Needs {
  const clean = (list: (string | undefined)[] = []) => [
    ...new Set(list.filter((x): x is string => !!x)),
  ];
  return Object.fromEntries(KINDS.map((kind) => [kind, clean(partial[kind])])) as unknown as Needs;
}

/**
 * `host:port` as `--allow-net` takes it: an IPv6 address in brackets.
 *
 * @example
 * hostPort("::1", 1883); // "[::1]:1883"
 */
export function hostPort(host: string, port: number): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * `host:port` of a URL, with the scheme's default port made explicit.
 *
 * @example
 * urlHostPort("https://api.example/v1"); // "api.example:443"
 */
export function urlHostPort(url: string): string {
  const u = new URL(url);
  const port = u.port || (u.protocol === "https:" ? "443" : "80");
  return `${u.hostname}:${port}`;
}

/**
 * What requests to these API URLs need: their hosts, and with `insecure` the same hosts
 * without certificate checks.
 */
export function apiNeeds(urls: (string | undefined)[], insecure: boolean): LooseNeeds {
  const set = urls.filter((u): u is string => !!u);
  return {
    net: set.map(urlHostPort),
    insecure: insecure ? set.map((u) => new URL(u).hostname) : [],
  };
}

/** The union of every capability's flags, each list without repeats. */
export function presetNeeds(all: Iterable<CapabilityNeeds>): Needs {
  const merged = needs({});
  for (const { flags } of all) {
    for (const kind of KINDS) {
      for (const item of flags[kind]) if (!merged[kind].includes(item)) merged[kind].push(item);
    }
  }
  return merged;
}

/**
 * V8 tuning that belongs to the preset: a 1 MB young generation (V8 grows it to 16 MB per
 * semi-space for an allocating process) costs the agent ~6.5 MB less RSS for ~25 % more CPU
 * per collection, a few ms every `monitor` seconds. Measured in bench/footprint.ts.
 */
export const PRESET_V8_FLAGS = "--v8-flags=--max-semi-space-size=1";

/**
 * What no item of a permission list may hold: a comma would add another item to the list,
 * whitespace or a control character another word to the launcher's command line.
 */
// deno-lint-ignore no-control-regex
const UNSAFE_ITEM = /[,\s\u0000-\u001f\u007f-\u009f]/;

/** A permission item that would change the meaning of its flag (the config validation refuses it first). */
export class UnsafePermissionError extends Error {}

/**
 * `deno run` flags for a set of needs, in a stable order. Throws UnsafePermissionError for an
 * item that could widen a list or split a flag: the config check refuses such values with
 * the key named, this is the last line.
 */
export function permissionFlags(all: Needs): string[] {
  for (const kind of KINDS) {
    const bad = all[kind].find((item) => UNSAFE_ITEM.test(item));
    if (bad !== undefined) {
      throw new UnsafePermissionError(`refused in --allow-${kind}: ${JSON.stringify(bad)}`);
    }
  }
  return KINDS.filter((kind) => all[kind].length > 0).map((kind) =>
    kind === "insecure"
      ? `--unsafely-ignore-certificate-errors=${all.insecure.join(",")}`
      : `--allow-${kind}=${all[kind].join(",")}`
  );
}

/** Whether this process holds a permission; never prompts. */
export function granted(descriptor: Deno.PermissionDescriptor): boolean {
  return Deno.permissions.querySync(descriptor).state === "granted";
}

/** The flags of `gate` (or all of `flags`) that this process has not been granted. */
export function missingPermissions(
  capability: CapabilityNeeds,
  allowed: (descriptor: Deno.PermissionDescriptor) => boolean = granted,
): string[] {
  const check = capability.gate ? needs(capability.gate) : capability.flags;
  const missing: string[] = [];
  const ask = (kind: keyof Needs, item: string, descriptor: Deno.PermissionDescriptor) => {
    if (!allowed(descriptor)) missing.push(`--allow-${kind}=${item}`);
  };
  for (const path of check.read) ask("read", path, { name: "read", path });
  for (const path of check.write) ask("write", path, { name: "write", path });
  for (const host of check.net) ask("net", host, { name: "net", host });
  for (const command of check.run) ask("run", command, { name: "run", command });
  for (const kind of check.sys) {
    ask("sys", kind, { name: "sys", kind: kind as Deno.SysPermissionDescriptor["kind"] });
  }
  for (const variable of check.env.filter((v) => !v.includes("*"))) {
    ask("env", variable, { name: "env", variable });
  }
  return missing;
}

/**
 * The flag that would have allowed what `error` refused, when it is Deno's permission
 * error ("Requires read access to "/x", run again with the --allow-read flag").
 *
 * @example
 * flagFor(new Deno.errors.NotCapable('Requires read access to "/x", run again ...'));
 * // "--allow-read=/x"
 */
export function flagFor(error: unknown): string | undefined {
  if (!(error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied)) {
    return undefined;
  }
  const match = /Requires (read|write|net|run|env|sys|ffi) access to "([^"]+)"/.exec(error.message);
  if (match) return `--allow-${match[1]}=${match[2]}`;
  if (/Requires all access/.test(error.message)) return "--allow-all";
  return undefined;
}
