/**
 * An operator's back end on MQTT: our own session as a plain client (clean, no will that
 * matters), subscribed to one filter, for drills and benches that publish jobs and read
 * the replies.
 */
import { Counters } from "../../src/counters.ts";
import { systemClock } from "../../src/io/mod.ts";
import { memoryLogger } from "../../src/log/logger.ts";
import { MqttSession } from "../../src/mqtt/session.ts";

/** Connects to the broker on `port` and resolves once subscribed to `filter`. */
export async function connectBackEnd(
  port: number,
  filter: string,
  onMessage: (topic: string, payload: Uint8Array) => void,
): Promise<MqttSession & AsyncDisposable> {
  const connected = Promise.withResolvers<void>();
  const session = new MqttSession(
    {
      host: "127.0.0.1",
      port,
      clientId: `back-end-${crypto.randomUUID().slice(0, 8)}`,
      keepaliveS: 30,
      clean: true,
      reconnectMaxS: 1,
      subscriptions: [{ topic: filter, qos: 1 }],
      will: { topic: "back-end/will", payload: () => "" },
    },
    { onConnect: () => connected.resolve(), onMessage },
    { log: memoryLogger("warn").log, counters: new Counters(), clock: systemClock },
  );
  await session.start();
  await connected.promise;
  return Object.assign(session, { [Symbol.asyncDispose]: () => session.stop() });
}
