/**
 * Upload of a full offline cache: 100 000 realistic samples (~1 KB each) spooled, then
 * drained to a local stats API that decodes every multipart body. Reports the gzip ratio,
 * MB/s and RSS growth (streaming must keep it ≤ 8 MB), beside a baseline of the same bytes
 * through CompressionStream alone. Medians of RUNS runs; a table, then one JSON line.
 * Each pass runs in its own process (this file with `--pass`), so that its RSS is its own;
 * the stats API runs in this one. RSS is measured after a warm-up of a few segments; the
 * JS heap still in use after a full GC says whether anything was kept (streaming: ~0).
 * Anonymous memory (Private_Dirty, what a router cannot reclaim) is read by this process
 * from the pass's /proc through `cat` (Deno lets a process read its own smaps only with -A).
 * In Deno 2.9 CompressionStream alone grows RSS ~10 MB over 100 MB, until a GC reclaims
 * its native memory: the baseline's RSS column shows that floor.
 *
 *   deno run --allow-read --allow-write --allow-net=127.0.0.1 --allow-run \
 *     bench/upload.ts [samples] [runs]
 */
import { median } from "./_median.ts";
import { memoryOf } from "./_measure.ts";
import { watchLines } from "../tests/support/process.ts";
import { Counters } from "../src/counters.ts";
import { systemClock } from "../src/io/clock.ts";
import { memoryLogger } from "../src/log/logger.ts";
import { Spool } from "../src/spool/spool.ts";
import { apiUrl } from "../src/io/api_url.ts";
import { StatsPoster } from "../src/uplink/poster.ts";
import { Uploader } from "../src/uplink/uploader.ts";

const SAMPLES = Number(Deno.args[0] === "--pass" ? 0 : Deno.args[0] ?? 100_000);
const RUNS = Number(Deno.args[0] === "--pass" ? 0 : Deno.args[1] ?? 3);
const RSS_BUDGET_MB = 8;
const MB = 1024 * 1024;

function realisticSample(n: number) {
  const t = 1732420000 + n * 15;
  const counter = (k: number) => Math.floor((n * 104729 * k) % 4e9);
  return {
    id: `01JD${n.toString(36).padStart(10, "0").toUpperCase()}`,
    device: {
      mac: "88-DC-96-12-34-56",
      created_at: t,
      online: true,
      uptime: 86400 + n * 15,
      load_1: (n % 97) / 100,
      load_5: (n % 53) / 100,
      load_15: (n % 31) / 100,
      total_ram: 262144000,
      free_ram: 100000000 - (n % 5000) * 1024,
      procs: 80 + (n % 20),
      wan_name: "eth0",
      wan_ip: "203.0.113.5",
      wan_gateway: "203.0.113.1",
      tx_bytes: counter(3),
      rx_bytes: counter(7),
      machine_type: "TP-Link Archer C7 v5",
      firmware: "OpenWrt 23.05.3",
      serial: "SN12345678",
    },
    interfaces: ["eth0"].map((name, i) => ({
      ifindex: i + 2,
      name,
      mac: `88:dc:96:12:34:5${i}`,
      up: true,
      mtu: 1500,
      addresses: [`192.0.2.${i + 1}/24`],
      rx_bytes: counter(11 + i),
      tx_bytes: counter(13 + i),
      rx_packets: counter(17 + i) % 1e7,
      tx_packets: counter(19 + i) % 1e7,
      rx_errors: 0,
      tx_errors: n % 3,
      rx_dropped: n % 7,
      tx_dropped: 0,
    })),
    stations: [{
      interface: "wlan0",
      ssid: "office",
      mac: "a4:83:e7:00:00:01",
      inactive_time: n % 1000,
      rx_bytes: counter(23),
      tx_bytes: counter(29),
      signal: -40 - (n % 30),
      signal_avg: -41 - (n % 30),
      tx_bitrate: 866000,
      rx_bitrate: 650000,
      authorized: true,
      authenticated: true,
      associated: true,
      conn_time: n * 15,
      expected_tput: 300000,
    }],
    dhcp: [{ mac: "a4:83:e7:00:00:01", ip: "192.168.1.100", name: "laptop", expires: t + 3600 }],
  };
}

async function fillCache(dir: string): Promise<{ bytes: number; segments: number }> {
  const spool = await Spool.open({ dir, maxBytes: 1 << 30 });
  for (let n = 0; n < SAMPLES; n++) spool.append(realisticSample(n));
  await spool.close();
  return { bytes: spool.bytes, segments: spool.segments };
}

async function copyDir(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    if (e.isFile) await Deno.copyFile(`${from}/${e.name}`, `${to}/${e.name}`);
  }
}

const WARMUP_SEGMENTS = 32;
const READY = "ready";

/** The child's side: run one pass over `dir` and print what it measured. */
async function runPass(pass: string, dir: string, url: string): Promise<void> {
  const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  const bytes = names.slice(WARMUP_SEGMENTS).reduce(
    (n, f) => n + Deno.statSync(`${dir}/${f}`).size,
    0,
  );
  const warm = `${dir}-warm`;
  await Deno.mkdir(warm);
  for (const name of names.slice(0, WARMUP_SEGMENTS)) {
    await Deno.rename(`${dir}/${name}`, `${warm}/${name}`);
  }
  const work = pass === "upload" ? (d: string) => upload(d, url) : compressOnly;
  await work(warm);
  const gc = (globalThis as { gc?: () => void }).gc!;
  gc();
  const heapBefore = Deno.memoryUsage().heapUsed;
  const before = Deno.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => peak = Math.max(peak, Deno.memoryUsage().rss), 10);
  // The parent reads our anonymous memory now, and says when to start.
  console.log(READY);
  await Deno.stdin.read(new Uint8Array(1));
  const started = performance.now();
  const result = await work(dir);
  const ms = performance.now() - started;
  clearInterval(timer);
  peak = Math.max(peak, Deno.memoryUsage().rss);
  gc();
  const retainedMb = (Deno.memoryUsage().heapUsed - heapBefore) / MB;
  console.log(JSON.stringify({ result, ms, bytes, growthMb: (peak - before) / MB, retainedMb }));
}

/** Baseline: the same segment files, read raw into one buffer, through CompressionStream. */
async function compressOnly(dir: string): Promise<number> {
  let gzipBytes = 0;
  const buffer = new Uint8Array(64 * 1024);
  for (const name of [...Deno.readDirSync(dir)].map((e) => e.name).sort()) {
    const gzip = new CompressionStream("gzip");
    const writer = gzip.writable.getWriter();
    const counted = (async () => {
      for await (const chunk of gzip.readable) gzipBytes += chunk.length;
    })();
    using file = await Deno.open(`${dir}/${name}`);
    for (let n = await file.read(buffer); n !== null; n = await file.read(buffer)) {
      await writer.write(buffer.subarray(0, n));
    }
    await writer.close();
    await counted;
  }
  return gzipBytes;
}

async function upload(dir: string, url: string): Promise<number> {
  const { log } = memoryLogger("warn");
  const counters = new Counters();
  const spool = await Spool.open({ dir, maxBytes: 1 << 30 });
  const poster = new StatsPoster({
    urls: [apiUrl(url, { token: "bench-token", mac: "88-DC-96-12-34-56" })],
    fetch,
    clock: systemClock,
    log,
    counters,
    timeoutMs: 60_000,
    signal: new AbortController().signal,
  });
  const uploader = new Uploader({
    spool,
    poster,
    format: "multipart",
    backoff: { baseMs: 1000, maxMs: 1000 },
    clock: systemClock,
    log,
    counters,
  });
  const report = await uploader.uploadNow();
  if (report.left !== 0) throw new Error(`upload stopped: ${report.verdict}`);
  return report.sent;
}

interface PassResult {
  result: number;
  ms: number;
  bytes: number;
  growthMb: number;
  /** JS heap still in use after a full GC, over the start: what the pass really kept. */
  retainedMb: number;
  /** Peak Private_Dirty over the start, sampled from outside. */
  anonGrowthMb: number;
}

async function spawnPass(pass: string, dir: string, url: string): Promise<PassResult> {
  const self = new URL(import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      `--allow-read=${dir},${dir}-warm`,
      `--allow-write=${dir},${dir}-warm`,
      "--allow-net=127.0.0.1",
      "--v8-flags=--expose-gc",
      self,
      "--pass",
      pass,
      dir,
      url,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const out = watchLines(child.stdout);
  await out.waitFor(new RegExp(`^${READY}$`), 120_000);
  const before = (await memoryOf(child.pid)).anonKb;
  let peak = before;
  let done = false;
  const finished = out.done.then(() => void (done = true));
  const go = child.stdin.getWriter();
  await go.write(new Uint8Array([1]));
  await go.close();
  while (!done) {
    const reading = await memoryOf(child.pid).catch(() => undefined); // gone as it ended
    if (reading) peak = Math.max(peak, reading.anonKb);
  }
  await finished;
  if (!(await child.status).success) throw new Error(`${pass} pass failed`);
  const result = JSON.parse(out.lines.at(-1)!);
  return { ...result, anonGrowthMb: (peak - before) / 1024 };
}

interface Tally {
  mbps: number[];
  rss: number[];
  anon: number[];
  kept: number[];
}

const tally = (): Tally => ({ mbps: [], rss: [], anon: [], kept: [] });

function add(t: Tally, pass: PassResult): void {
  t.mbps.push(pass.bytes / MB / (pass.ms / 1000));
  t.rss.push(pass.growthMb);
  t.anon.push(pass.anonGrowthMb);
  t.kept.push(pass.retainedMb);
}

function summary(t: Tally) {
  return {
    mb_s: +median(t.mbps).toFixed(1),
    rss_growth_mb: +Math.max(...t.rss).toFixed(1),
    anon_growth_mb: +Math.max(...t.anon).toFixed(1),
    heap_kept_mb: +Math.max(...t.kept).toFixed(2),
  };
}

async function main(): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "ledge-bench-" });
  let receivedRecords = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const file = (await req.formData()).get("data") as File;
    const text = await new Response(
      file.stream().pipeThrough<Uint8Array>(
        new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>,
      ),
    ).text();
    for (let at = text.indexOf("\n"); at !== -1; at = text.indexOf("\n", at + 1)) receivedRecords++;
    return new Response(null, { status: 204 });
  });
  const url = `http://127.0.0.1:${server.addr.port}/stats`;
  try {
    const template = `${root}/template`;
    const cache = await fillCache(template);
    let gzipBytes = 0;
    let measuredBytes = 0;
    const base = tally();
    const up = tally();
    for (let run = 0; run < RUNS; run++) {
      await copyDir(template, `${root}/b${run}`);
      const b = await spawnPass("baseline", `${root}/b${run}`, url);
      gzipBytes = b.result;
      measuredBytes = b.bytes;
      add(base, b);
      await copyDir(template, `${root}/u${run}`);
      receivedRecords = 0;
      const u = await spawnPass("upload", `${root}/u${run}`, url);
      if (receivedRecords !== SAMPLES) {
        throw new Error(`server decoded ${receivedRecords} records, expected ${SAMPLES}`);
      }
      add(up, u);
    }
    const baseline = summary(base);
    const upload = summary(up);
    const sampleBytes = Math.round(cache.bytes / SAMPLES);
    const gzipRatio = measuredBytes / gzipBytes;
    console.log(
      `upload of ${SAMPLES} cached samples (${sampleBytes} B each, ${
        (cache.bytes / MB).toFixed(1)
      } MB, ${cache.segments} segments, gzip ${gzipRatio.toFixed(2)}:1): median MB/s and ` +
        `worst RSS of ${RUNS} runs, each pass in its own process, after a warm-up of ` +
        `${WARMUP_SEGMENTS} segments`,
    );
    console.log(
      "| pass | MB/s (raw NDJSON) | RSS growth MB | anonymous growth MB | heap kept after GC MB |",
    );
    console.log("| --- | ---: | ---: | ---: | ---: |");
    for (
      const [name, pass] of [["CompressionStream alone", baseline], ["upload", upload]] as const
    ) {
      console.log(
        `| ${name} | ${pass.mb_s} | ${pass.rss_growth_mb} | ${pass.anon_growth_mb} | ` +
          `${pass.heap_kept_mb} |`,
      );
    }
    const ok = upload.rss_growth_mb <= RSS_BUDGET_MB;
    console.log(`RSS budget ${RSS_BUDGET_MB} MB: ${ok ? "met" : "EXCEEDED"}`);
    // The report line `deno task bench` (bench/run.ts) collects.
    const vs = (a: number, b: number) => +(a / b).toFixed(2);
    console.log(JSON.stringify({
      bench: "upload",
      results: [
        {
          name: `upload ${SAMPLES} cached samples, multipart (vs CompressionStream alone)`,
          median: upload.mb_s,
          unit: "MB/s",
          baseline: baseline.mb_s,
          ratio: vs(upload.mb_s, baseline.mb_s),
        },
        {
          name: "RSS growth while uploading (worst run)",
          median: upload.rss_growth_mb,
          unit: "MB",
          baseline: baseline.rss_growth_mb,
          ratio: vs(upload.rss_growth_mb, baseline.rss_growth_mb),
          goal: `<= ${RSS_BUDGET_MB} MB`,
        },
        {
          name: "anonymous memory growth while uploading (worst run)",
          median: upload.anon_growth_mb,
          unit: "MB",
          baseline: baseline.anon_growth_mb,
          ratio: vs(upload.anon_growth_mb, baseline.anon_growth_mb),
        },
        {
          name: "JS heap kept after a full GC (worst run)",
          median: upload.heap_kept_mb,
          unit: "MB",
          baseline: baseline.heap_kept_mb,
        },
        { name: "gzip ratio", median: +gzipRatio.toFixed(2), unit: ": 1" },
      ],
    }));
  } finally {
    await server.shutdown();
    await Deno.remove(root, { recursive: true });
  }
}

if (Deno.args[0] === "--pass") await runPass(Deno.args[1], Deno.args[2], Deno.args[3]);
else await main();
