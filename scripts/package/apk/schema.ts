/**
 * The schemas of apk-tools 3's packages and indexes: which field each slot of an object
 * holds, and how its value reads (openwrt-apk.md §1.4; src/apk_adb.c:329-534).
 */
import { NULL, type Value } from "./adb.ts";

/** How a field's value reads: text, bytes (printed as hex), a number, or nested. */
export type Kind = "string" | "hex" | "int" | "oct" | Schema | { array: Kind };

/** An object's fields, slot 1 first. */
export interface Schema {
  name: string;
  fields: readonly (readonly [string, Kind])[];
}

const array = (of: Kind) => ({ array: of });

export const DEPENDENCY: Schema = {
  name: "dependency",
  fields: [["name", "string"], ["version", "string"], ["match", "int"]],
};

export const PKGINFO: Schema = {
  name: "pkginfo",
  fields: [
    ["name", "string"],
    ["version", "string"],
    ["hashes", "hex"],
    ["description", "string"],
    ["arch", "string"],
    ["license", "string"],
    ["origin", "string"],
    ["maintainer", "string"],
    ["url", "string"],
    ["repo-commit", "hex"],
    ["build-time", "int"],
    ["installed-size", "int"],
    ["file-size", "int"],
    ["provider-priority", "int"],
    ["depends", array(DEPENDENCY)],
    ["provides", array(DEPENDENCY)],
    ["replaces", array(DEPENDENCY)],
    ["install-if", array(DEPENDENCY)],
    ["recommends", array(DEPENDENCY)],
    ["layer", "int"],
    ["tags", array("string")],
  ],
};

export const ACL: Schema = {
  name: "acl",
  fields: [["mode", "oct"], ["user", "string"], ["group", "string"], ["xattrs", array("hex")]],
};

export const FILE: Schema = {
  name: "file",
  fields: [
    ["name", "string"],
    ["acl", ACL],
    ["size", "int"],
    ["mtime", "int"],
    ["hash", "hex"],
    ["target", "hex"],
  ],
};

export const DIR: Schema = {
  name: "dir",
  fields: [["name", "string"], ["acl", ACL], ["files", array(FILE)]],
};

/** Script slots, in apk's order; each is the whole script text. */
export const SCRIPT_NAMES = [
  "trigger",
  "pre-install",
  "post-install",
  "pre-deinstall",
  "post-deinstall",
  "pre-upgrade",
  "post-upgrade",
] as const;
export type ScriptName = typeof SCRIPT_NAMES[number];

export const SCRIPTS: Schema = {
  name: "scripts",
  fields: SCRIPT_NAMES.map((name) => [name, "string"] as const),
};

export const PACKAGE: Schema = {
  name: "package",
  fields: [
    ["info", PKGINFO],
    ["paths", array(DIR)],
    ["scripts", SCRIPTS],
    ["triggers", array("string")],
    ["replaces-priority", "int"],
  ],
};

export const INDEX: Schema = {
  name: "index",
  fields: [["description", "string"], ["packages", array(PKGINFO)], ["pkgname-spec", "string"]],
};

/** The slots of `schema` from values by field name (absent: NULL). */
export function slots(schema: Schema, values: Readonly<Record<string, Value>>): Value[] {
  for (const name of Object.keys(values)) {
    if (!schema.fields.some(([field]) => field === name)) {
      throw new Error(`${schema.name} has no field '${name}'`);
    }
  }
  return schema.fields.map(([name]) => values[name] ?? NULL);
}
