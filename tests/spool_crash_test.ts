/**
 * kill -9 of a process appending to the spool, 200 times at random moments: on restart no
 * corrupt record is read, every record the writer had committed is there, and at most the
 * one in flight is lost. Ten rounds share a directory, so restarts resume earlier segments.
 */
import { assert, assertEquals } from "./support/assert.ts";
import { type CrashRecord, crashRecord } from "./support/crash_record.ts";
import { tempDir } from "./support/process.ts";
import { RecordScanner, Spool } from "../src/spool/mod.ts";

const WRITER = new URL("./support/spool_writer.ts", import.meta.url).pathname;
const ROUNDS = 200;
const ROUNDS_PER_DIR = 10;

/** Runs one writer, kills it -9 after `commits` printed commits; returns all it printed. */
async function killWriter(dir: string, round: number, commits: number): Promise<number> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      `--allow-read=${dir}`,
      `--allow-write=${dir}`,
      // The cache dir's owner is checked against this process's uid.
      "--allow-sys=uid",
      WRITER,
      dir,
      `${round}`,
    ],
    stdout: "piped",
    stderr: "null",
    stdin: "null",
  }).spawn();
  let printed = "";
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let killed = false;
  for (;;) {
    if (!killed && printed.split("\n").length - 1 >= commits) {
      child.kill("SIGKILL");
      killed = true;
    }
    const { done, value } = await reader.read();
    if (done) break;
    printed += value;
  }
  const status = await child.status;
  assertEquals(status.signal, "SIGKILL", `round ${round} writer died on its own`);
  return printed.split("\n").length - 1;
}

async function readAll(dir: string): Promise<{ records: CrashRecord[]; torn: number }> {
  const names = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".ndjson"))
    .sort();
  const records: CrashRecord[] = [];
  let torn = 0;
  for (const name of names) {
    const scan = new RecordScanner();
    let text = "";
    for (const run of scan.scan(await Deno.readFile(`${dir}/${name}`))) {
      text += new TextDecoder().decode(run);
    }
    scan.end();
    for (const line of text.split("\n").filter(Boolean)) records.push(JSON.parse(line));
    assertEquals(scan.tally.corrupt, 0, `${name}: a complete line that is not JSON`);
    if (scan.tally.torn) torn++;
  }
  return { records, torn };
}

Deno.test(`kill -9 of a spool writer, ${ROUNDS} times: nothing committed lost, nothing corrupt`, async () => {
  let lostInFlight = 0;
  let tornSeen = 0;
  for (let group = 0; group < ROUNDS / ROUNDS_PER_DIR; group++) {
    await using dir = await tempDir("ledge-crash-");
    const committed: number[] = [];
    for (let r = 0; r < ROUNDS_PER_DIR; r++) {
      const round = group * ROUNDS_PER_DIR + r;
      committed.push(await killWriter(dir.path, round, Math.floor(Math.random() * 12)));
    }
    const { records, torn } = await readAll(dir.path);
    tornSeen += torn;
    let at = 0;
    for (let r = 0; r < ROUNDS_PER_DIR; r++) {
      const round = group * ROUNDS_PER_DIR + r;
      let seq = 0;
      while (at < records.length && records[at].round === round) {
        assertEquals(records[at], crashRecord(round, seq), `round ${round} record ${seq} intact`);
        seq++;
        at++;
      }
      assert(seq >= committed[r], `round ${round}: ${seq} records kept, ${committed[r]} committed`);
      assert(seq <= committed[r] + 1, `round ${round}: more than the one in flight`);
      if (seq === committed[r]) lostInFlight++;
    }
    assertEquals(at, records.length, "records in round order, none unexpected");
    await using reopened = await Spool.open({ dir: dir.path, maxBytes: 1 << 30 });
    assertEquals(reopened.records, records.length, "a restart counts exactly the readable records");
  }
  console.log(`${ROUNDS} kills: ${lostInFlight} lost the record in flight, ${tornSeen} torn tails`);
});
