/** ledge's version: the one written in deno.json (the release workflow checks the tag against it). */
import project from "../deno.json" with { type: "json" };

/** ledge's version, as `ledge version` and `status` report it. */
export const VERSION: string = project.version;
