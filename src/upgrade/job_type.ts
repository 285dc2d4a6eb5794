/**
 * `sysupgrade` jobs as a job type: checked (the request, upgrades on, the host listed, none
 * in progress) before anything is journaled, then handed to the upgrade capability outside
 * the jobs' pool (it may wait hours for its window). jobs/ knows nothing of upgrades: the
 * agent's wiring hands it this type.
 */
import type { JobRecord, OwnJobType } from "../jobs/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { UpgradeRecord } from "./record.ts";
import { parseUpgradeRequest, UPGRADE_TYPE, type UpgradeRequest } from "./request.ts";
import type { UpgradeCapability } from "./capability.ts";

/** What the type asks of the agent. */
export interface UpgradeJobsDeps {
  /** The upgrade capability running now; undefined while it does not run. */
  upgrade(): UpgradeCapability | undefined;
  /** Why it does not run, when it does not (`upgrade.hosts` not set, or its status). */
  offReason(): string;
  /** The jobs' log. */
  log: Logger;
}

/** The `sysupgrade` job type. */
export function upgradeJobs(deps: UpgradeJobsDeps): OwnJobType<UpgradeRequest> {
  return {
    type: UPGRADE_TYPE,
    pooled: false,
    admit: (_job, raw) => {
      const parsed = parseUpgradeRequest(raw.meta);
      if (!parsed.ok) return parsed;
      const request = parsed.value;
      const upgrade = deps.upgrade();
      if (!upgrade) return { ok: false, reason: `firmware upgrades are off: ${deps.offReason()}` };
      const refusal = upgrade.refusal(request);
      return refusal ? { ok: false, reason: refusal } : parsed;
    },
    start: (request, job, run) => {
      // Claimed now, before the next payload is admitted: a second upgrade is refused.
      const claim = deps.upgrade()!.claim(job.id, run.route);
      run.journaled.then(async (journaled) => {
        if (!journaled) {
          claim.release();
          return run.unjournaled();
        }
        await run.delivered;
        await claim.run(request, { note: run.note, settled: run.settled });
      }).catch((error) => deps.log.error("upgrade failed unexpectedly", { id: job.id, error }));
    },
    info: (id) => {
      const status = deps.upgrade()?.status();
      return status?.id === id ? upgradeJobRecord(status) : undefined;
    },
    cancel: (id) => deps.upgrade()?.cancel(id) ?? false,
  };
}

/** A `sysupgrade` job as `job-info` shows it from the upgrade journal (after the reboot). */
function upgradeJobRecord(upgrade: UpgradeRecord): JobRecord {
  return {
    id: upgrade.id,
    type: UPGRADE_TYPE,
    command: "",
    state: upgrade.result?.event_type ?? "running",
    received: upgrade.accepted,
    reason: upgrade.result?.reason ?? `upgrade at ${upgrade.step}`,
  };
}
