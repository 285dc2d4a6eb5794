/**
 * Upload of a full offline cache: 100 000 realistic samples (~1 KB each) spooled, then
 * drained to a local stats API that decodes every multipart body. Reports the gzip ratio,
 * MB/s and RSS growth (streaming must keep it ≤ 8 MB), beside a baseline of the same bytes
 * through CompressionStream alone. Medians of RUNS runs; a table, then one JSON line.
 *
 *   deno run --allow-read --allow-write --allow-net=127.0.0.1 --v8-flags=--expose-gc \
 *     bench/upload.ts [samples] [runs]
 */
import { Counters } from "../src/counters.ts";
import { systemClock } from "../src/io/clock.ts";
import { memoryLogger } from "../src/log/logger.ts";
import { Spool } from "../src/spool/spool.ts";
import { uploadUrl } from "../src/uplink/policy.ts";
import { StatsPoster } from "../src/uplink/poster.ts";
import { Uploader } from "../src/uplink/uploader.ts";

const SAMPLES = Number(Deno.args[0] ?? 100_000);
const RUNS = Number(Deno.args[1] ?? 3);
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
    interfaces: ["eth0", "br-lan"].map((name, i) => ({
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

/** Samples RSS every 20 ms while `work` runs; returns the peak growth over the start. */
async function withRss<T>(
  work: () => Promise<T>,
): Promise<{ result: T; growthMb: number; ms: number }> {
  (globalThis as { gc?: () => void }).gc?.();
  const before = Deno.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => peak = Math.max(peak, Deno.memoryUsage().rss), 20);
  const started = performance.now();
  try {
    const result = await work();
    peak = Math.max(peak, Deno.memoryUsage().rss);
    return { result, growthMb: (peak - before) / MB, ms: performance.now() - started };
  } finally {
    clearInterval(timer);
  }
}

/** Baseline: the same segment files, read raw, through CompressionStream, discarded. */
async function compressOnly(dir: string): Promise<number> {
  let gzipBytes = 0;
  const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  for (const name of names) {
    const file = await Deno.open(`${dir}/${name}`);
    const gz = file.readable.pipeThrough<Uint8Array>(
      new CompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>,
    );
    for await (const chunk of gz) gzipBytes += chunk.length;
  }
  return gzipBytes;
}

async function upload(dir: string, url: string): Promise<number> {
  const { log } = memoryLogger("warn");
  const counters = new Counters();
  const spool = await Spool.open({ dir, maxBytes: 1 << 30 });
  const poster = new StatsPoster({
    urls: [uploadUrl(url, "bench-token", "88-DC-96-12-34-56")],
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

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const root = await Deno.makeTempDir({ prefix: "ledge-bench-" });
let receivedRecords = 0;
let receivedGzip = 0;
const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
  const file = (await req.formData()).get("data") as File;
  receivedGzip += file.size;
  const ungzipped = file.stream().pipeThrough<Uint8Array>(
    new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>,
  );
  for await (const chunk of ungzipped) for (const byte of chunk) if (byte === 10) receivedRecords++;
  return new Response(null, { status: 204 });
});
try {
  const template = `${root}/template`;
  const cache = await fillCache(template);
  const base = { mbps: [] as number[], rss: [] as number[] };
  const up = { mbps: [] as number[], rss: [] as number[] };
  let gzipBytes = 0;
  for (let run = 0; run < RUNS; run++) {
    await copyDir(template, `${root}/b${run}`);
    const b = await withRss(() => compressOnly(`${root}/b${run}`));
    gzipBytes = b.result;
    base.mbps.push(cache.bytes / MB / (b.ms / 1000));
    base.rss.push(b.growthMb);
    await copyDir(template, `${root}/u${run}`);
    receivedRecords = 0;
    const u = await withRss(() =>
      upload(`${root}/u${run}`, `http://127.0.0.1:${server.addr.port}/stats`)
    );
    if (u.result !== SAMPLES || receivedRecords !== SAMPLES) {
      throw new Error(`sent ${u.result}, server decoded ${receivedRecords}, expected ${SAMPLES}`);
    }
    up.mbps.push(cache.bytes / MB / (u.ms / 1000));
    up.rss.push(u.growthMb);
  }
  const result = {
    bench: "upload",
    samples: SAMPLES,
    runs: RUNS,
    cache_mb: +(cache.bytes / MB).toFixed(1),
    segments: cache.segments,
    sample_bytes: Math.round(cache.bytes / SAMPLES),
    gzip_ratio: +(cache.bytes / gzipBytes).toFixed(2),
    baseline_mb_s: +median(base.mbps).toFixed(1),
    upload_mb_s: +median(up.mbps).toFixed(1),
    upload_vs_baseline: +(median(up.mbps) / median(base.mbps)).toFixed(2),
    baseline_rss_growth_mb: +Math.max(...base.rss).toFixed(1),
    upload_rss_growth_mb: +Math.max(...up.rss).toFixed(1),
    rss_budget_mb: RSS_BUDGET_MB,
    ok: Math.max(...up.rss) <= RSS_BUDGET_MB,
  };
  console.log(
    `upload of ${SAMPLES} cached samples (${result.cache_mb} MB, ${cache.segments} segments), median of ${RUNS}`,
  );
  console.log("| pass | MB/s (raw) | RSS growth MB (max) |");
  console.log("| --- | ---: | ---: |");
  console.log(
    `| CompressionStream alone | ${result.baseline_mb_s} | ${result.baseline_rss_growth_mb} |`,
  );
  console.log(
    `| spool → multipart POST → server decode | ${result.upload_mb_s} | ${result.upload_rss_growth_mb} |`,
  );
  console.log(
    `gzip ratio ${result.gzip_ratio}:1; upload/baseline ${result.upload_vs_baseline}; RSS budget ${RSS_BUDGET_MB} MB: ${
      result.ok ? "met" : "EXCEEDED"
    }`,
  );
  console.log(JSON.stringify(result));
  if (!result.ok) Deno.exitCode = 1;
} finally {
  await server.shutdown();
  await Deno.remove(root, { recursive: true });
}
