/**
 * SocketMan's wire, message by message (tests/fixtures/socketman/wire.json, written from
 * what SocketMan's code sends): the agent from src/main.ts, under its config's preset, with
 * a SocketMan config (numbers as strings included), a real mosquitto and a recording HTTP
 * server, runs the same cases; every field SocketMan sends must be there with the same name
 * and type, and the same value where its meaning is fixed. ledge may add fields.
 */
import { presetFlags } from "../scripts/bundle.ts";
import { parseIwStationDump } from "../src/collect/iw_station_dump.ts";
import { pingEvent } from "../src/mqtt/topics.ts";
import { VERSION } from "../src/version.ts";
import { assert, assertEquals } from "./support/assert.ts";
import { fixture } from "./support/fixtures.ts";
import { publish, startBroker, subscribe } from "./support/mosquitto.ts";
import { until } from "./support/poll.ts";
import { MAIN, runLedge, spawnLedge, tempDir } from "./support/process.ts";

type Json = Record<string, unknown>;
interface Case {
  same: string[];
  /** Fields SocketMan sends only when the box has them (a default route, a model). */
  optional?: string[];
  job?: string;
  head_bytes?: number;
  payload?: Json;
  request?: Json;
}
const MAC = "88-DC-96-00-00-01";
const TAIL = `acme/k3y/${MAC}`;
const TOKEN = "tok-123";
/** The fixture, with this box's token and MAC where it says `<token>`, `<mac>`. */
const WIRE: Record<string, Case> = JSON.parse(
  fixture("socketman/wire.json").replaceAll("<token>", TOKEN).replaceAll("<mac>", MAC),
);

/** The value at a dotted path (`meta.msg`, `dhcp.0.name`). */
const at = (value: unknown, path: string) =>
  path.split(".").reduce<unknown>((v, k) => (v as Json | undefined)?.[k], value);

const kind = (v: unknown) => Array.isArray(v) ? "array" : v === null ? "null" : typeof v;

/**
 * Every field of SocketMan's `theirs` is in `ours` with the same type (recursively; a list
 * item against each of ours), and the `same` paths hold the same value. Returns the faults.
 */
function differences(
  theirs: unknown,
  ours: unknown,
  same: string[],
  optional: string[] = [],
  path = "",
): string[] {
  const faults: string[] = [];
  if (kind(theirs) !== kind(ours)) {
    return [`${path || "."}: ${kind(ours)}, SocketMan ${kind(theirs)}`];
  }
  if (Array.isArray(theirs) && theirs.length > 0) {
    for (const [i, item] of (ours as unknown[]).entries()) {
      faults.push(...differences(theirs[0], item, [], [], `${path}.${i}`));
    }
  } else if (kind(theirs) === "object") {
    for (const [key, value] of Object.entries(theirs as Json)) {
      const where = path ? `${path}.${key}` : key;
      if (!(key in (ours as Json))) {
        if (!optional.includes(where)) faults.push(`${where}: missing`);
      } else faults.push(...differences(value, (ours as Json)[key], [], optional, where));
    }
  }
  for (const p of same) {
    const [mine, socketman] = [at(ours, p), at(theirs, p)];
    if (JSON.stringify(mine) !== JSON.stringify(socketman)) {
      faults.push(`${p}: ${JSON.stringify(mine)}, SocketMan ${JSON.stringify(socketman)}`);
    }
  }
  return faults;
}

/** What the recording server saw of one request. */
interface Recorded {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Headers;
  content_type: string;
  body: Uint8Array<ArrayBuffer>;
}

function recordingServer() {
  const requests: Recorded[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (r) => {
    const url = new URL(r.url);
    requests.push({
      method: r.method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: r.headers,
      content_type: r.headers.get("content-type") ?? "",
      body: new Uint8Array(await r.arrayBuffer()),
    });
    return new Response(null, { status: 200 });
  });
  return { requests, url: `http://127.0.0.1:${server.addr.port}`, server };
}

/** The upload's parts as SocketMan's back end reads them, and its NDJSON samples. */
async function readUpload(request: Recorded) {
  const form = await new Request("http://x/", {
    method: "POST",
    headers: { "content-type": request.content_type },
    body: request.body,
  }).formData();
  const file = form.get("data") as File;
  const text = await new Response(file.stream().pipeThrough(new DecompressionStream("gzip")))
    .text();
  return {
    wire: {
      method: request.method,
      path: request.path,
      query: request.query,
      field: "data",
      filename: file.name,
      part_type: file.type,
    },
    samples: text.split("\n").filter(Boolean).map((line) => JSON.parse(line)),
  };
}

Deno.test("SocketMan's wire: every message a SocketMan back end reads, field by field", async (t) => {
  await using dir = await tempDir("ledge-wire-");
  await using broker = await startBroker();
  const http = recordingServer();
  await using watch = await subscribe(broker.port, [
    `status/${TAIL}`,
    `delivery/${TAIL}`,
    `pub/${TAIL}`,
  ]);
  const leases = `${dir.path}/dhcp.leases`;
  await Deno.writeTextFile(leases, "1732423600 aa:bb:cc:dd:ee:ff 192.168.1.10 * *\n");
  const socket = `${dir.path}/ctl.sock`;
  // SocketMan's keys as a SocketMan box has them, numbers written as strings included.
  const socketmanConfig = {
    mac: MAC,
    topic: "acme",
    key: "k3y",
    mqtt_host: "127.0.0.1",
    port: String(broker.port),
    token: TOKEN,
    api_url: `${http.url}/api`,
    stats_url: `${http.url}/stats`,
    monitor: "15",
    "ping-interval": 0,
    health_url: "127.0.0.1",
    health_port: String(broker.port),
    scan: 0,
    reboot: 0,
    rest: 0,
    // Where this test keeps the box's files.
    dhcp_leases: leases,
    state_dir: `${dir.path}/state`,
    cache_dir: `${dir.path}/cache`,
    control_socket: socket,
    recovery_cmd: "/bin/true",
  };
  const config = `${dir.path}/config.json`;
  await Deno.writeTextFile(config, JSON.stringify(socketmanConfig));
  const flags = await presetFlags(config, MAIN);
  const agent = spawnLedge(["run", `--config=${config}`], { flags });
  const payload = (line: string) => JSON.parse(line.slice(line.indexOf(" ") + 1));
  const check = (name: string, ours: unknown) => {
    const c = WIRE[name];
    assertEquals(differences(c.payload ?? c.request, ours, c.same, c.optional), [], name);
  };
  try {
    await t.step(
      "the SocketMan config starts the agent: strings read as numbers, 0 as the default",
      async () => {
        await agent.waitFor(/INFO mqtt connected to broker/, 60_000);
        assert(agent.lines.some((l) => /a number written as a string, read as SocketMan/.test(l)));
        assert(agent.lines.some((l) => /ping-interval: 0 means the default/.test(l)));
      },
    );

    await t.step("CONNECT and PING on status/", async () => {
      check("connect", payload(await watch.waitFor(/^status\/.*"online":"1"/)));
      // The first PING comes one interval after the connect: its JSON is built by this.
      check("ping", pingEvent("socketman", 1484484399));
    });

    await t.step(
      "DELIVERED and PROCESSED: a plain, a failing, an empty and a long job",
      async () => {
        for (
          const [name, id] of [
            ["processed_plain", "msg-plain"],
            ["processed_failing", "msg-fail"],
            ["processed_empty", "msg-empty"],
            ["processed_long", "msg-long"],
          ]
        ) {
          const job = {
            id,
            timestamp: Math.floor(Date.now() / 1000),
            meta: { msg: WIRE[name].job },
          };
          await publish(broker.port, `sub/${TAIL}`, JSON.stringify(job));
          const result = payload(await watch.waitFor(new RegExp(`^pub/\\S+ .*"id":"${id}"`)));
          check(name, result);
          if (id === "msg-plain") {
            check("delivered", payload(await watch.waitFor(/^delivery\/\S+ .*"msg-plain"/)));
          }
          if (id === "msg-fail") {
            assertEquals([result.success, result.exit_code], [false, 3]);
            assert(/nonexistent/.test(result.stderr), "stderr in its own field");
          }
          if (id === "msg-long") {
            const head = WIRE.processed_long.head_bytes!;
            assertEquals(new TextEncoder().encode(result.meta.msg).length, head);
            assert(result.meta.msg.startsWith("line-0\nline-1\n") && result.truncated);
          }
        }
      },
    );

    await t.step("the stats upload: SocketMan's envelope and collection JSON", async () => {
      const flushed = await runLedge(["ctl", "-S", socket, "flush"], [
        `--allow-read=${socket}`,
        `--allow-write=${socket}`,
        `--allow-net=unix:${socket}`,
      ]);
      assertEquals(flushed.code, 0, flushed.stdout + flushed.stderr);
      await until(() => http.requests.some((r) => r.path === "/stats"), "an upload", 30_000);
      const request = http.requests.find((r) => r.path === "/stats")!;
      assertEquals(request.headers.get("user-agent"), `ledge/${VERSION}`);
      const upload = await readUpload(request);
      check("upload", { ...upload.wire, query: { ...upload.wire.query } });
      const sample = upload.samples[0];
      check("sample", {
        ...sample,
        // The fixture's values that vary per box are its own: compared by name and type.
        device: { ...sample.device },
      });
      assertEquals(at(sample, "device.mac"), MAC);
    });

    await t.step("REST mode: SocketMan's PATCH of operations/<id>, no ping POSTed", async () => {
      await Deno.writeTextFile(config, JSON.stringify({ ...socketmanConfig, rest: 1 }));
      agent.kill("SIGHUP");
      await agent.waitFor(/INFO ledge config reloaded/, 60_000);
      const job = {
        id: "msg-rest",
        timestamp: Math.floor(Date.now() / 1000),
        meta: { msg: WIRE.rest.job },
      };
      await publish(broker.port, `sub/${TAIL}`, JSON.stringify(job));
      await until(
        () => http.requests.some((r) => r.path.startsWith("/api")),
        "a REST request",
        30_000,
      );
      const request = http.requests.find((r) => r.path.startsWith("/api"))!;
      const body = JSON.parse(new TextDecoder().decode(request.body));
      check("rest", { ...request, body });
      assertEquals([body.success, body.exit_code, body.event_type], [true, 0, "PROCESSED"]);
      assertEquals(
        http.requests.filter((r) => r.method === "POST" && r.path.startsWith("/api")),
        [],
      );
    });

    await t.step("the will on kill -9", async () => {
      agent.kill("SIGKILL");
      await agent.status;
      check("will", payload(await watch.waitFor(/^status\/.*"online":"0"/)));
    });
  } finally {
    try {
      agent.kill("SIGKILL");
    } catch { /* gone */ }
    await agent.status;
    await http.server.shutdown();
  }
});

Deno.test("SocketMan's wire: a station as iw reports it has SocketMan's keys, case and units", () => {
  const [station] = parseIwStationDump(fixture("iw/station_dump.txt")).value;
  const c = WIRE.station;
  assertEquals(differences(c.payload, { ssid: "Cafe Guest", ...station }, c.same), []);
});

Deno.test("SocketMan's wire: a job without an id is answered on delivery/ under an sm_ id", async () => {
  await using dir = await tempDir("ledge-wire-");
  await using broker = await startBroker();
  await using watch = await subscribe(broker.port, [`delivery/${TAIL}`, `pub/${TAIL}`]);
  const config = `${dir.path}/config.json`;
  await Deno.writeTextFile(
    config,
    JSON.stringify({
      mac: MAC,
      topic: "acme",
      key: "k3y",
      mqtt_host: "127.0.0.1",
      port: broker.port,
      state_dir: `${dir.path}/state`,
      cache_dir: `${dir.path}/cache`,
      control_socket: `${dir.path}/ctl.sock`,
      scan: 0,
      "no-cache": 1,
    }),
  );
  const agent = spawnLedge(["run", `--config=${config}`], {
    flags: await presetFlags(config, MAIN),
  });
  try {
    await agent.waitFor(/INFO mqtt connected to broker/, 60_000);
    await publish(broker.port, `sub/${TAIL}`, JSON.stringify({ meta: { msg: "touch /tmp/x" } }));
    await publish(
      broker.port,
      `sub/${TAIL}`,
      JSON.stringify({ id: 12345, meta: { msg: "echo n" } }),
    );
    const refused = payload(await watch.waitFor(/^delivery\/\S+ .*"REJECTED"/));
    assert(/^sm_[0-9a-f]{32}$/.test(refused.id), refused.id);
    assertEquals(refused.reason, "invalid id: must be a string of 1 to 128 characters");
    const numeric = payload(await watch.waitFor(/^pub\/\S+ .*"id":"12345"/));
    assertEquals([numeric.event_type, numeric.meta.msg], ["PROCESSED", "n\n"]);
  } finally {
    agent.kill();
    await agent.status;
  }

  function payload(line: string) {
    return JSON.parse(line.slice(line.indexOf(" ") + 1));
  }
});
