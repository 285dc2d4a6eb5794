/**
 * The box's side of a flash: the image file, the firmware it runs (`upgrade.release_file`)
 * and the `sysupgrade` program, with the agent's context.
 */
import type { CapabilityContext } from "../capability.ts";
import type { ExecResult } from "../io/mod.ts";
import type { Logger } from "../log/mod.ts";
import { type Firmware, parseFirmware } from "./firmware.ts";

/**
 * Where the image is kept: a directory of the agent's own in `upgrade.dir` (tmpfs, often a
 * shared /tmp), so that nobody else can link the download elsewhere or rewrite the image
 * between its check and the flash.
 */
export function imageDir(config: { dir: string }): string {
  return `${config.dir}/ledge-upgrade`;
}

/** The image, the firmware and sysupgrade, as the running config names them. */
export class UpgradeSystem {
  readonly #ctx: CapabilityContext;
  readonly #log: Logger;

  constructor(ctx: CapabilityContext, log: Logger) {
    this.#ctx = ctx;
    this.#log = log;
  }

  /** The image's directory (made private before the download). */
  get imageDir(): string {
    return imageDir(this.#ctx.config.upgrade);
  }

  /** The image's path. */
  get imagePath(): string {
    return `${this.imageDir}/sysupgrade.bin`;
  }

  /** The firmware running now; `{}` when the release file cannot be read. */
  async firmware(): Promise<Firmware> {
    const file = this.#ctx.config.upgrade.release_file;
    try {
      return parseFirmware(await this.#ctx.io.fs.readTextFile(file, { maxBytes: 16 * 1024 }));
    } catch (error) {
      this.#log.warn("firmware unknown", { file, error });
      return {};
    }
  }

  /** Runs `sysupgrade` with `args` (no shell). */
  sysupgrade(args: string[], signal?: AbortSignal): Promise<ExecResult> {
    return this.#ctx.io.exec.run({
      argv: [this.#ctx.config.upgrade.program, ...args],
      timeoutMs: 10 * 60_000,
      outputMax: 4096,
      signal,
    });
  }

  /** Removes the image, if there is one. */
  async removeImage(): Promise<void> {
    await this.#ctx.io.fs.remove(this.imagePath).catch(() => {});
  }
}
