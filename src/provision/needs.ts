/** What provisioning needs: the Deno permissions of `ledge run -b URL`. */
import { DEFAULTS } from "../config/mod.ts";
import { tempPathOf } from "../io/mod.ts";
import { type CapabilityNeeds, needs, urlHostPort } from "../permissions.ts";
import { FIRMWARE_FILE, MODEL_FILE } from "./provision.ts";

/**
 * What provisioning from `url` into `configPath` needs: the init server, the config file
 * and the temporary file it is written through (Deno's rename asks read and write on both),
 * and what identifies the device.
 */
export function provisionNeeds(
  url: string,
  configPath: string,
  macFile: string = DEFAULTS.mac_file,
): CapabilityNeeds {
  const files = [configPath, tempPathOf(configPath)];
  return {
    flags: needs({
      net: [urlHostPort(url)],
      read: [...files, macFile, MODEL_FILE, FIRMWARE_FILE],
      write: files,
    }),
    gate: { net: [urlHostPort(url)], read: files, write: files },
  };
}
