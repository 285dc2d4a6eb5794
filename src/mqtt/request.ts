/**
 * MQTT 5: what a job's PUBLISH says beside its payload, checked and turned into the jobs'
 * envelope (request/response, trace ids, message expiry). Pure. Bounded: the route rides
 * with every reply to the job, in memory and in the outbox.
 */
import type { JobEnvelope, ReplyRoute } from "../replies/mod.ts";
import type { Properties } from "./properties.ts";

/** The longest Response Topic and Correlation Data taken, in bytes. */
export const MAX_ROUTE_FIELD_BYTES = 1024;
/** The most User Properties taken, and their bytes together. */
export const MAX_USER_PROPERTIES = 32;
export const MAX_USER_PROPERTY_BYTES = 4096;

const encoder = new TextEncoder();
const bytesOf = (text: string) => encoder.encode(text).length;

/** Why a response topic cannot be published to, or undefined when it can. */
function topicFault(topic: string): string | undefined {
  if (topic === "") return "empty";
  if (bytesOf(topic) > MAX_ROUTE_FIELD_BYTES) return `over ${MAX_ROUTE_FIELD_BYTES} bytes`;
  // A topic name has no wildcard or NUL (MQTT-3.3.2-2); `$` topics are the broker's.
  // deno-lint-ignore no-control-regex
  if (/[+#\u0000]/.test(topic)) return "a wildcard or NUL in it";
  if (topic.startsWith("$")) return "a broker topic ($...)";
  // A result there would be a job, or a desired state, for a box (this one or another).
  if (/^(sub|config)\//.test(topic)) return "a topic boxes take orders from (sub/, config/)";
  return undefined;
}

/**
 * The envelope of a job received at `nowMono` (monotonic ms) with these properties.
 *
 * ```ts
 * envelopeOf({ messageExpiry: 30, responseTopic: "answers/1" }, 1000);
 * // { route: { responseTopic: "answers/1" }, startBy: 31000 }
 * envelopeOf({ responseTopic: "a/+" }, 0);
 * // { refused: "invalid response topic: a wildcard or NUL in it" }
 * ```
 */
export function envelopeOf(properties: Properties, nowMono: number): JobEnvelope {
  const { responseTopic, correlationData, userProperties, messageExpiry } = properties;
  const fault = responseTopic === undefined ? undefined : topicFault(responseTopic);
  if (fault) return { refused: `invalid response topic: ${fault}` };
  if (correlationData && correlationData.length > MAX_ROUTE_FIELD_BYTES) {
    return { refused: `invalid correlation data: over ${MAX_ROUTE_FIELD_BYTES} bytes` };
  }
  if (userProperties) {
    const bytes = userProperties.reduce((sum, [k, v]) => sum + bytesOf(k) + bytesOf(v), 0);
    if (userProperties.length > MAX_USER_PROPERTIES || bytes > MAX_USER_PROPERTY_BYTES) {
      return {
        refused: `invalid user properties: more than ${MAX_USER_PROPERTIES} or ` +
          `${MAX_USER_PROPERTY_BYTES} bytes`,
      };
    }
  }
  const route: ReplyRoute = {
    ...(responseTopic !== undefined ? { responseTopic } : {}),
    ...(correlationData !== undefined ? { correlation: correlationData.toBase64() } : {}),
    ...(userProperties ? { userProperties } : {}),
  };
  return {
    ...(Object.keys(route).length > 0 ? { route } : {}),
    ...(messageExpiry !== undefined ? { startBy: nowMono + messageExpiry * 1000 } : {}),
  };
}
