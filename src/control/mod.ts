/**
 * The control socket: the server with its limits, the command registry capabilities
 * register their commands in, and the client `ledge ctl` speaks through.
 */
export { ControlClientError, controlRequest } from "./client.ts";
export {
  type ArgSchema,
  type ArgsOf,
  type ArgSpec,
  type ArgsShape,
  type CommandDef,
  CommandError,
  CommandRegistry,
  notFound,
  optional,
  type Reply,
  required,
  type Status,
} from "./registry.ts";
export type { ReaderLimits } from "./request_reader.ts";
export { type ControlLimits, ControlServer } from "./server.ts";
