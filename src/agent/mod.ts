/**
 * The agent: its wiring (every capability and what each is given of the others), the
 * supervisor of each, reloads, and the permissions of a whole config.
 */
export { Agent, type AgentOptions, AgentStartError, type ReloadResult } from "./agent.ts";
export { agentNeeds, presetFor } from "./preset.ts";
export { planReload, type ReloadFacts } from "./reload_plan.ts";
export { CAPABILITIES, type Live, type Running, statsSink, type Wired } from "./wiring.ts";
