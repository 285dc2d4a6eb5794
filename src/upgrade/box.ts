/**
 * What an upgrade asks of the box itself (not of the other capabilities): the memory left,
 * its time zone, this boot's id, and a random draw. Tests give their own.
 */
import { type Exec, type Fs, KernelFs } from "../io/mod.ts";
import { type TimeZone, zoneOf } from "./zone.ts";

/** Where OpenWRT keeps the box's zone: UCI's system config, and its POSIX rule in /etc/TZ. */
export const SYSTEM_CONFIG = "/etc/config/system";
export const TZ_FILE = "/etc/TZ";
/** The kernel's id of this boot (a new one at every boot). */
export const BOOT_ID = "/proc/sys/kernel/random/boot_id";

/** What an upgrade asks of the box. */
export interface UpgradeBox {
  /** Bytes of memory available (MemAvailable); undefined when unknown. */
  memoryAvailable(): number | undefined;
  /** The box's time zone, in which a job's window is. */
  zone(): Promise<TimeZone>;
  /** This boot's id; undefined when the kernel does not say (a flash is then judged at once). */
  bootId(): Promise<string | undefined>;
  /** In [0, 1). */
  random(): number;
  /** Between online checks after the reboot (default 5 s). */
  onlinePollMs?: number;
}

/** The real box, read through `fs` (and `cat` for the boot id, which Deno reads only with -A). */
export function realBox(fs: Fs, exec: Exec): UpgradeBox {
  const read = (path: string) =>
    fs.readTextFile(path, { maxBytes: 64 * 1024 }).catch(() => undefined);
  return {
    memoryAvailable: () => {
      try {
        return Deno.systemMemoryInfo().available;
      } catch {
        return undefined; // without --allow-sys=systemMemoryInfo: the cap is the download's
      }
    },
    zone: async () => zoneOf(await read(SYSTEM_CONFIG), await read(TZ_FILE)),
    bootId: async () => {
      const text = await new KernelFs(fs, exec).readTextFile(BOOT_ID, { maxBytes: 64 })
        .catch(() => "");
      return text.trim() || undefined;
    },
    random: Math.random,
  };
}
