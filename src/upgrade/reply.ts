/** The replies of a `sysupgrade` job, in the shape of every job reply (docs/mqtt.md). */
import type { JobReply, ReplyContext } from "../replies/mod.ts";
import { UPGRADE_TYPE } from "./request.ts";

/**
 * One step's event (`DOWNLOADING`, `VERIFIED`, `FLASHING`) or the final answer; `msg` says
 * it for people, `extra` carries the figures.
 */
export function upgradeReply(
  id: string,
  event: string,
  ctx: ReplyContext,
  msg: string,
  extra: Record<string, unknown> = {},
): JobReply {
  return {
    id,
    timestamp: Math.floor(ctx.now / 1000),
    app: ctx.app,
    event_type: event,
    meta: { msg, type: UPGRADE_TYPE },
    ...extra,
  };
}
