/** Firmware upgrades: `sysupgrade` jobs, their journal, and the `upgrade` capability. */
export type { UpgradeBox } from "./box.ts";
export type { TimeZone } from "./zone.ts";
export { upgradeJobs, type UpgradeJobsDeps } from "./job_type.ts";
export { parseUpgradeRequest, UPGRADE_TYPE, type UpgradeRequest } from "./request.ts";
export type { UpgradeRecord, UpgradeResult, UpgradeStep } from "./record.ts";
export type { FlashWindow } from "./window.ts";
export type { UpgradeWatcher } from "./flow.ts";
export type { SendReply } from "./journal.ts";
export { UpgradeCapability, type UpgradeClaim, type UpgradeDeps } from "./capability.ts";
export { upgradeOff, upgradeSpec } from "./spec.ts";
