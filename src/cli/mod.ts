/** The command line (docs/cli.md): `ledge run`, `ctl`, `collect`, `check-config`, `flags`. */
export { runCli } from "./dispatch.ts";
export type { CliOutput } from "./output.ts";
