/** The records of the spool crash test: sizes vary, and some are big enough to be torn. */
export interface CrashRecord {
  id: string;
  round: number;
  seq: number;
  pad: string;
}

export function crashRecord(round: number, seq: number): CrashRecord {
  const size = seq % 5 === 4 ? 96 * 1024 : 40 + (seq * 397) % 2000;
  return { id: `${round}-${seq}`, round, seq, pad: String(seq % 10).repeat(size) };
}
