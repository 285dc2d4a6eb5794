/**
 * What a job's message carries beside its payload (MQTT 5's properties), as the jobs and
 * their replies use it. Plain JSON, so that a reply waiting in the outbox keeps its route
 * across restarts.
 */

/** MQTT 5 request/response and trace ids: what a job's message asks of the replies to it. */
export interface ReplyRoute {
  /** Its Response Topic: the job's result goes there as well. */
  responseTopic?: string;
  /** Its Correlation Data, base64: sent back with that result. */
  correlation?: string;
  /** Its User Properties, in order (trace ids): on every reply to the job. */
  userProperties?: [string, string][];
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
