/** Firmware upgrades: `sysupgrade` jobs, their journal, and the `upgrade` capability. */
export { parseUpgradeRequest, UPGRADE_TYPE, type UpgradeRequest } from "./request.ts";
export type { UpgradeRecord, UpgradeResult, UpgradeStep } from "./record.ts";
export type { FlashWindow } from "./window.ts";
export { type UpgradeClaim, UpgradeService, type UpgradeWatcher } from "./service.ts";
export { upgradeSpec } from "./spec.ts";
