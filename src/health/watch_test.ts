import { assertEquals } from "../../tests/support/assert.ts";
import { type CheckRound, initialWatch, observe, roundInterval, type WatchState } from "./watch.ts";

const up = (at: number): CheckRound => ({
  at,
  route: true,
  mqtt: undefined,
  tcp: { ok: true, ms: 5, target: "192.0.2.1:53" },
});
const down = (at: number): CheckRound => ({
  at,
  route: true,
  mqtt: false,
  tcp: { ok: false, ms: 3000, target: "192.0.2.1:53", error: "timed out" },
});

function run(rounds: CheckRound[], state: WatchState = initialWatch(0)) {
  const transitions: string[] = [];
  for (const round of rounds) {
    const result = observe(state, round);
    state = result.state;
    if (result.transition) transitions.push(`${result.transition.to}@${round.at}`);
  }
  return { state, transitions };
}

Deno.test("watch: one good round is online; three failed rounds in a row are offline", () => {
  const { transitions, state } = run([up(0), down(15), down(20), down(25), up(30)]);
  assertEquals(transitions, ["online@0", "offline@25", "online@30"]);
  assertEquals(state.failedRounds, 0);
  assertEquals(state.failingSince, undefined);
});

Deno.test("watch: a flapping link never goes offline", () => {
  const rounds = [up(0), down(1), up(2), down(3), down(4), up(5), down(6), down(7), up(8)];
  assertEquals(run(rounds).transitions, ["online@0"]);
});

Deno.test("watch: no default route is offline at once, with its cause", () => {
  const { state, transitions } = run([up(0), { at: 5, route: false, mqtt: undefined }]);
  assertEquals(transitions, ["online@0", "offline@5"]);
  assertEquals(state.cause, "no default route");
});

Deno.test("watch: an open MQTT session counts as online when the probe fails", () => {
  const { state } = run([{ ...down(0), mqtt: true }]);
  assertEquals([state.health, state.cause], ["online", "mqtt session open"]);
});

Deno.test("watch: the outage starts at the first failed round and survives more failures", () => {
  const { state } = run([up(0), down(15), down(20), down(25), down(30)]);
  assertEquals([state.health, state.failingSince, state.since], ["offline", 15, 25]);
});

Deno.test("watch: monitor interval while online, 5 s while suspect or offline", () => {
  assertEquals(roundInterval(run([up(0)]).state, 60), 60_000);
  assertEquals(roundInterval(run([up(0), down(60)]).state, 60), 5_000);
  assertEquals(roundInterval(initialWatch(0), 60), 5_000);
});

Deno.test("watch: with nothing to probe, a default route is enough (no reboot for lack of a target)", () => {
  const { state } = run([{ at: 0, route: true, mqtt: undefined }]);
  assertEquals([state.health, state.cause], ["online", "default route (no probe target)"]);
  assertEquals(run([{ at: 0, route: false, mqtt: undefined }]).state.health, "offline");
});
