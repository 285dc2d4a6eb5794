/**
 * The image, fetched until it is the one the job names: a network error, a 5xx or a 429 is
 * tried again from the start (three times in all, 5 then 10 s apart); a hash that does not
 * match is final. DOWNLOADING is announced at each step of the progress.
 */
import type { Clock, Fs, Net } from "../io/mod.ts";
import type { Logger } from "../log/mod.ts";
import { DownloadFailed, downloadImage } from "./download.ts";
import { type ProgressEvent, progressEvent, progressStep } from "./progress.ts";

/** A download is tried this many times, from the start each time. */
const ATTEMPTS = 3;
const RETRY_DELAY_MS = 5_000;

/** What the fetch is given. */
export interface ImageFetch {
  url: string;
  /** Lowercase hex SHA-256 the image must have. */
  sha256: string;
  /** Where it goes (a fresh file in the agent's own directory). */
  path: string;
  /** The most it may be (the memory left). */
  maxBytes: number;
  hosts: readonly string[];
  signal: AbortSignal;
  io: { clock: Clock; net: Net; fs: Fs };
  log: Logger;
  /** Told each step of the progress. */
  progress(event: ProgressEvent): void;
}

/** Fetches and checks the image; throws why not. */
export async function fetchImage(fetch: ImageFetch): Promise<void> {
  for (let attempt = 1;; attempt++) {
    let step = -1;
    try {
      const got = await downloadImage(
        {
          url: fetch.url,
          path: fetch.path,
          maxBytes: fetch.maxBytes,
          hosts: fetch.hosts,
          signal: fetch.signal,
          progress: (bytes, total) => {
            const now = progressStep(bytes, total);
            if (now === step) return;
            step = now;
            fetch.progress(progressEvent(bytes, total));
          },
        },
        fetch.io.net,
        fetch.io.fs,
      );
      if (got.sha256 === fetch.sha256) return;
      throw new Error(`sha256 mismatch: the image is ${got.sha256}, expected ${fetch.sha256}`);
    } catch (error) {
      fetch.signal.throwIfAborted();
      const retry = error instanceof DownloadFailed && error.retry && attempt < ATTEMPTS;
      if (!retry) throw error;
      fetch.log.warn("download failed; trying again from the start", { attempt, error });
      await fetch.io.clock.sleep(RETRY_DELAY_MS * attempt, fetch.signal);
    }
  }
}
