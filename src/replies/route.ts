/**
 * What a job's message carries beside its payload (MQTT 5's properties), as the jobs and
 * their replies use it. Plain JSON, so that a reply waiting in the outbox (or an upgrade's
 * answer after the reboot) keeps its route across restarts.
 */
import * as z from "zod/mini";

/** MQTT 5 request/response and trace ids: what a job's message asks of the replies to it. */
export interface ReplyRoute {
  /** Its Response Topic: the job's result goes there as well. */
  responseTopic?: string;
  /** Its Correlation Data, base64: sent back with that result. */
  correlation?: string;
  /** Its User Properties, in order (trace ids): on every reply to the job. */
  userProperties?: [string, string][];
}

/**
 * A route as the files that keep it hold it (the outbox, the upgrade journal); the
 * correlation data must decode, or every send of it would fail.
 */
export const routeSchema: z.ZodMiniType<ReplyRoute> = z.object({
  responseTopic: z.optional(z.string()),
  correlation: z.optional(z.string().check(z.regex(/^[A-Za-z0-9+/]*={0,2}$/))),
  userProperties: z.optional(z.array(z.tuple([z.string(), z.string()]))),
});

/** Its user properties alone: what a job's progress events carry (its answer goes on the response topic). */
export function progressRoute(route: ReplyRoute | undefined): ReplyRoute | undefined {
  return route?.userProperties ? { userProperties: route.userProperties } : undefined;
}

/** A job's message, as its transport saw it. */
export interface JobEnvelope {
  /** Where else its replies go, and what they carry. */
  route?: ReplyRoute;
  /** Its Message Expiry, as a monotonic deadline in ms: the job does not start after it. */
  startBy?: number;
  /** Why its properties are refused: the job is REJECTED with this, and does not run. */
  refused?: string;
}
