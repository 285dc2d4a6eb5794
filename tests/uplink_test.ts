/**
 * Spool + uplink against a real HTTP stats API (Deno.serve on a free port) that decodes
 * what it receives: outages, cap, every class of answer, both body formats, no-cache.
 */
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { ManualClock } from "./support/clock.ts";
import { exists, tempDir } from "./support/process.ts";
import { type Answer, startStatsApi } from "./support/stats_api.ts";
import type { Config } from "../src/config/mod.ts";
import { Counters } from "../src/counters.ts";
import { systemClock } from "../src/io/mod.ts";
import { memoryLogger } from "../src/log/logger.ts";
import { statsSink } from "../src/agent/mod.ts";
import { Spool } from "../src/spool/mod.ts";
import type { UploadFormat } from "../src/uplink/body.ts";
import { StatsPoster, Uploader } from "../src/uplink/mod.ts";
import { testAgent, testConfig } from "./support/context.ts";
import { apiUrl } from "../src/io/api_url.ts";

const TOKEN = "tok-s3cret-value";
const MAC = "88-DC-96-00-00-01";

const status = (code: number, headers?: Record<string, string>): Answer => () =>
  new Response(null, { status: code, headers });

/** A realistic ~1 KB sample with a time-ordered id. */
function sample(n: number) {
  return {
    id: `01JD${String(n).padStart(10, "0")}`,
    device: { mac: MAC, created_at: 1732420000 + n, uptime: n, load_1: 0.1, free_ram: 100000 },
    interfaces: [{ ifindex: 2, name: "eth0", rx_bytes: n * 1500, tx_bytes: n * 900 }],
    ssids: [],
    stations: [],
    survey: [],
    dhcp: [],
    pad: "x".repeat(700),
  };
}
const ids = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => sample(from + i).id);

interface Rig {
  spool: Spool;
  uploader: Uploader;
  counters: Counters;
  lines: string[];
}

async function rig(
  dir: string,
  urls: string[],
  options: {
    format?: UploadFormat;
    random?: () => number;
    fetch?: typeof fetch;
    maxBytes?: number;
    timeoutMs?: number;
  } = {},
): Promise<Rig> {
  const { log, lines } = memoryLogger();
  log.core.setSecrets([TOKEN]);
  const counters = new Counters();
  const spool = await Spool.open({
    dir,
    maxBytes: options.maxBytes ?? 5 * 1024 * 1024,
    batchBytes: 1,
  });
  const poster = new StatsPoster({
    urls: urls.map((u) => apiUrl(u, { token: TOKEN, mac: MAC })),
    fetch: options.fetch ?? fetch,
    clock: systemClock,
    log,
    counters,
    timeoutMs: options.timeoutMs ?? 10_000,
    signal: new AbortController().signal,
  });
  const uploader = new Uploader({
    spool,
    poster,
    format: options.format ?? "multipart",
    backoff: { baseMs: 5000, maxMs: 600_000 },
    clock: systemClock,
    log,
    counters,
    random: options.random,
  });
  return { spool, uploader, counters, lines };
}

function push(spool: Spool, from: number, to: number) {
  for (let n = from; n < to; n++) spool.append(sample(n));
}

Deno.test("API down for 1000 samples, then up: every sample arrives once, in order", async () => {
  await using dir = await tempDir();
  await using api = startStatsApi(status(503));
  const { spool, uploader, counters } = await rig(dir.path, [api.url]);
  for (let round = 0; round < 10; round++) {
    push(spool, round * 100, (round + 1) * 100);
    const report = await uploader.uploadNow();
    assertEquals(report.verdict, "retry");
    assertEquals(report.left, (round + 1) * 100, "a 503 keeps everything");
  }
  api.answer = status(200);
  const report = await uploader.uploadNow();
  assertEquals({ sent: report.sent, left: report.left, verdict: report.verdict }, {
    sent: 1000,
    left: 0,
    verdict: "idle",
  });
  assertEquals(api.accepted(), ids(0, 1000));
  assertEquals(counters.get("stats-sent"), 1000);
  assertEquals(counters.get("uploads-failed"), 10);
  const last = api.uploads.at(-1)!;
  assertEquals(last.url.searchParams.get("access_token"), TOKEN);
  assertEquals(last.url.searchParams.get("mac"), MAC);
});

Deno.test("a 2xx lost on the way back re-sends that one batch and nothing else", async () => {
  await using dir = await tempDir();
  await using api = startStatsApi();
  let calls = 0;
  const lossy: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    if (++calls === 2) {
      await response.body?.cancel();
      throw new TypeError("connection reset after the server answered");
    }
    return response;
  };
  const { spool, uploader } = await rig(dir.path, [api.url], { fetch: lossy });
  push(spool, 0, 1000);
  assertEquals((await uploader.uploadNow()).verdict, "retry");
  assertEquals((await uploader.uploadNow()).left, 0);
  const batches = api.uploads.map((u) => u.ids);
  assertEquals(batches[1], batches[2], "the unacknowledged batch came again");
  assertEquals([...batches.slice(0, 2), ...batches.slice(3)].flat(), ids(0, 1000));
});

Deno.test("cap exceeded while offline: the oldest are dropped and counted, the newest all arrive", async () => {
  await using dir = await tempDir();
  await using api = startStatsApi(status(503));
  const config = stackConfig(dir.path, api.url, { cache_max: 65536 });
  await using stats = await statsAgent(config, new ManualClock());
  const { counters } = stats.agent;
  for (let n = 0; n < 1000; n++) await stats.sink.push(sample(n));
  api.answer = status(200);
  const flushed = await stats.agent.commands.execute({ command: "flush" });
  assertEquals(flushed.status, "ok");
  const received = api.accepted();
  const dropped = counters.get("stats-dropped");
  assert(dropped > 800, `${dropped} dropped`);
  assertEquals(dropped + received.length, 1000);
  assertEquals(received, ids(dropped, 1000));
  assertEquals(counters.get("stats-cached"), 1000);
});

Deno.test("429 with Retry-After: 2 is honoured by the upload loop", async () => {
  await using dir = await tempDir();
  await using api = startStatsApi(status(429, { "Retry-After": "2" }));
  const clock = new ManualClock();
  await using stats = await statsAgent(stackConfig(dir.path, api.url, { heartbeat: 120 }), clock);
  // The loop's first run goes out at start: an empty spool, no POST.
  assertEquals(await clock.nextSleep(0), 120_000);
  await stats.sink.push(sample(1));
  assertEquals(await clock.nextSleep(1), 30_000, "the spool's batch timer");
  stats.agent.live.get("uplink")!.trigger();
  assertEquals(await clock.nextSleep(2), 2000, "the loop waits what the server asked");
  assertEquals(api.uploads.length, 1);
  api.answer = status(200);
  clock.advance(2000);
  assertEquals(await clock.nextSleep(3), 120_000, "then back to the upload interval");
  assertEquals(api.accepted(), [sample(1).id]);
});

Deno.test("500 backs off with full jitter, growing, and keeps the data", async () => {
  await using dir = await tempDir();
  await using api = startStatsApi(status(500));
  let draw = 0.5;
  const { spool, uploader, counters } = await rig(dir.path, [api.url], { random: () => draw });
  push(spool, 0, 10);
  assertEquals((await uploader.uploadNow()).retryInMs, 2500);
  assertEquals((await uploader.uploadNow()).retryInMs, 5000);
  draw = 0.1;
  assertEquals((await uploader.uploadNow()).retryInMs, 2000);
  assertEquals(spool.records, 10);
  assertEquals(counters.get("stats-sent"), 0);
  api.answer = status(204);
  assertEquals((await uploader.uploadNow()).sent, 10);
  assertEquals(uploader.failures, 0);
});

Deno.test("400 sets aside only the segment the API refuses, and the rest still goes", async () => {
  await using dir = await tempDir();
  const poisoned = sample(150).id;
  await using api = startStatsApi(({ ids }) =>
    new Response("bad", { status: ids.includes(poisoned) ? 400 : 200 })
  );
  const { spool, uploader, counters, lines } = await rig(dir.path, [api.url]);
  push(spool, 0, 1000); // about 5 segments, so several in one POST
  const report = await uploader.uploadNow();
  assertEquals(report.left, 0);
  assertEquals(report.sent + report.rejected, 1000);
  assert(report.rejected > 0 && report.rejected < 300, `${report.rejected}: one segment's worth`);
  assertEquals(counters.get("stats-rejected"), report.rejected);
  const accepted = api.accepted();
  assert(!accepted.includes(poisoned));
  assertEquals(accepted.length, report.sent);
  assertEquals(new Set(accepted).size, accepted.length, "nothing sent twice");
  assertEquals(accepted.at(-1), sample(999).id);
  const aside = [...Deno.readDirSync(`${dir.path}/rejected`)].map((e) => e.name);
  assertEquals(aside.length, 1);
  assert(lines.some((l) => /set aside/.test(l) && /status=400/.test(l)));
});

Deno.test("401 keeps the data and says once that the token was refused", async () => {
  await using dir = await tempDir();
  await using api = startStatsApi(status(401));
  const { spool, uploader, lines } = await rig(dir.path, [api.url]);
  push(spool, 0, 5);
  for (let i = 0; i < 3; i++) assertEquals((await uploader.uploadNow()).verdict, "token");
  assertEquals(spool.records, 5);
  assertEquals(lines.filter((l) => /token rejected/.test(l)).length, 1);
  api.answer = status(200);
  assertEquals((await uploader.uploadNow()).sent, 5);
  assert(lines.some((l) => /uploads work again/.test(l)));
  assert(!lines.join("\n").includes(TOKEN), "the token is never logged");
});

Deno.test("a failed POST is tried once on backup_stats_url before backing off", async () => {
  await using dir = await tempDir();
  await using primary = startStatsApi(status(502));
  await using backup = startStatsApi(status(503));
  const { spool, uploader } = await rig(dir.path, [primary.url, backup.url]);
  push(spool, 0, 3);
  assertEquals((await uploader.uploadNow()).verdict, "retry");
  assertEquals([primary.uploads.length, backup.uploads.length], [1, 1]);
  backup.answer = status(200);
  assertEquals((await uploader.uploadNow()).sent, 3);
  assertEquals(backup.accepted(), ids(0, 3));
  assertEquals(primary.accepted(), []);
});

Deno.test("network down and a silent server both keep the data (timeouts on every request)", async () => {
  await using dir = await tempDir();
  const release = Promise.withResolvers<void>();
  await using silent = startStatsApi(async () => {
    await release.promise;
    return new Response(null, { status: 200 });
  });
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closedPort = `http://127.0.0.1:${listener.addr.port}/stats`;
  listener.close();
  const { spool, uploader, counters } = await rig(dir.path, [closedPort, silent.url], {
    format: "gzip",
    timeoutMs: 300,
  });
  push(spool, 0, 3);
  assertEquals((await uploader.uploadNow()).verdict, "retry");
  assertEquals(spool.records, 3);
  assertEquals(counters.get("uploads-failed"), 2);
  release.resolve();
});

Deno.test("both formats are what the spec says, decoded by the server", async () => {
  for (const format of ["multipart", "gzip"] as const) {
    await using dir = await tempDir();
    await using api = startStatsApi();
    const { spool, uploader } = await rig(dir.path, [api.url], { format });
    push(spool, 0, 20);
    await uploader.uploadNow();
    const [upload] = api.uploads;
    assertEquals(upload.format, format);
    assertEquals(upload.ids, ids(0, 20));
    if (format === "multipart") {
      assertEquals(upload.file, { name: "archive.gz", type: "application/octet-stream" });
      assertMatch(upload.headers.get("content-type")!, /^multipart\/form-data; boundary=/);
      assertEquals(upload.headers.get("content-encoding"), null, "SocketMan's mistake not copied");
    } else {
      assertEquals(upload.headers.get("content-type"), "application/x-ndjson");
      assertEquals(upload.headers.get("content-encoding"), "gzip");
    }
  }
});

Deno.test("no-cache: each sample is POSTed as plain JSON and nothing is written", async () => {
  await using dir = await tempDir();
  await using api = startStatsApi();
  const cacheDir = `${dir.path}/cache`;
  await using stats = await statsAgent(
    stackConfig(cacheDir, api.url, { "no-cache": 1 }),
    new ManualClock(),
  );
  const { counters } = stats.agent;
  assertEquals(stats.agent.states().spool, "off: no-cache is set");
  for (let n = 0; n < 3; n++) await stats.sink.push(sample(n));
  const flushed = await stats.agent.commands.execute({ command: "flush" });
  assertEquals(flushed.flush, { sent: 0, rejected: 0, left: 0 });
  assertEquals(api.uploads.map((u) => u.format), ["json", "json", "json"]);
  assertEquals(
    api.uploads.map((u) => u.headers.get("content-type")),
    Array(3).fill("application/json"),
  );
  assertEquals(new Set(api.accepted()), new Set(ids(0, 3)));
  assertEquals(counters.get("stats-sent"), 3);
  assert(!(await exists(cacheDir)), "no-cache never touches cache_dir");
});

Deno.test("ctl flush uploads now and answers what was sent and what is left", async () => {
  await using dir = await tempDir();
  await using api = startStatsApi(status(503, { "Retry-After": "30" }));
  await using stats = await statsAgent(stackConfig(dir.path, api.url), new ManualClock());
  for (let n = 0; n < 7; n++) await stats.sink.push(sample(n));
  assertEquals(await stats.agent.commands.execute({ command: "flush" }), {
    status: "ok",
    code: 200,
    flush: { sent: 0, rejected: 0, left: 7, retry_in_s: 30 },
  });
  api.answer = status(200);
  assertEquals((await stats.agent.commands.execute({ command: "flush" })).flush, {
    sent: 7,
    rejected: 0,
    left: 0,
  });
  assertMatch(stats.agent.states().spool, /^0 samples/);
});

/** The stats path of an agent (spool and uplink only), and the sink the collector feeds. */
async function statsAgent(config: Config, clock: ManualClock) {
  const { agent } = testAgent(config, { clock }, ["spool", "uplink"]);
  await agent.start();
  return { agent, sink: statsSink(agent.live, agent), [Symbol.asyncDispose]: () => agent.stop() };
}

function stackConfig(cacheDir: string, statsUrl: string, extra: Record<string, unknown> = {}) {
  return testConfig({
    mac: MAC,
    disable_mqtt: true,
    token: TOKEN,
    stats_url: statsUrl,
    cache_dir: cacheDir,
    ...extra,
  });
}
