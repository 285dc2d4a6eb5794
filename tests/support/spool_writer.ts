/**
 * The process the crash test kills: appends records to a spool forever, committing each
 * one and then printing its sequence number, so that every printed number is a record the
 * spool promised to keep. Usage: spool_writer.ts DIR ROUND
 */
import { Spool } from "../../src/spool/spool.ts";
import { crashRecord } from "./crash_record.ts";

const [dir, round] = Deno.args;
const spool = await Spool.open({
  dir,
  maxBytes: 1 << 30,
  segmentBytes: 16 * 1024,
  batchBytes: Number.MAX_SAFE_INTEGER,
});
const encoder = new TextEncoder();
for (let seq = 0;; seq++) {
  spool.append(crashRecord(Number(round), seq));
  await spool.commit();
  await Deno.stdout.write(encoder.encode(`${seq}\n`));
}
