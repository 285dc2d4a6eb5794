/**
 * An in-process MQTT broker (aedes) on a free loopback port, for tests and demos that must
 * run without mosquitto. It records every publish and can publish itself.
 */
import { createServer } from "node:net";
import { Aedes } from "aedes";

export interface InProcessBroker extends AsyncDisposable {
  port: number;
  /** `topic payload` of every message published by a client, in order. */
  published: string[];
  /** `topic payload` of every QoS 1 message a client acknowledged (PUBACK). */
  acked: string[];
  /** Client ids subscribed to each topic filter. */
  subscribed: Map<string, string>;
  publish(topic: string, payload: string): Promise<void>;
}

export async function startAedes(): Promise<InProcessBroker> {
  const broker = await Aedes.createBroker();
  const server = createServer(broker.handle);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("aedes: no TCP address");
  const published: string[] = [];
  const subscribed = new Map<string, string>();
  const acked: string[] = [];
  broker.on("ack", (packet) => {
    if ("topic" in packet) acked.push(`${packet.topic} ${packet.payload.toString()}`);
  });
  broker.on("publish", (packet, client) => {
    if (client) published.push(`${packet.topic} ${packet.payload.toString()}`);
  });
  broker.on("subscribe", (subscriptions, client) => {
    for (const s of subscriptions) subscribed.set(s.topic, client.id);
  });
  return {
    port: address.port,
    published,
    acked,
    subscribed,
    publish: (topic, payload) =>
      new Promise((resolve, reject) =>
        broker.publish(
          { cmd: "publish", topic, payload, qos: 1, retain: false, dup: false },
          (error) => error ? reject(error) : resolve(),
        )
      ),
    [Symbol.asyncDispose]: async () => {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
