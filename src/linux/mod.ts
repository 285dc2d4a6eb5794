/**
 * Linux's text, read: the helpers every parser of kernel and tool output shares (the result
 * shape, whole lines, strict numbers and MACs), and /proc/net/route, which the collector
 * and the health checks both read. Pure.
 */
export * from "./text.ts";
export { type DefaultRoute, parseProcNetRoute } from "./proc_net_route.ts";
