/**
 * `deno task compile [--config=FILE] [--installed-config=PATH] [--target=TARGET]...`
 *
 * Compiles the bundle (not the source tree, so no node_modules is embedded) into
 * dist/ledge-<target>, with the hardened preset baked in. A compiled binary cannot take
 * permission flags at run time, so the preset is that of one fleet's config: FILE (default
 * /etc/ledge/config.json) is read here for its hosts and paths, and the binary is granted
 * to read the config at PATH, where it will be installed (default /etc/ledge/config.json,
 * as in scripts/openwrt/ledge.init). The config's secrets are not baked in.
 *
 * `deno compile` downloads a `denort` runtime per target. Offline, give one in DENORT_BIN
 * (it is one target's runtime, so name that target with --target).
 */
import { parseArgs } from "node:util";
import { BUNDLE, bundle, DENO, kilobytes, presetFlags, ROOT } from "./bundle.ts";

const TARGETS = ["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu"];
const DEVICE_CONFIG = "/etc/ledge/config.json";

/**
 * The preset's grants name `file` (and the `.tmp` it is written through); on the device the
 * config lives at `installed`.
 */
export function relocateConfig(flags: string[], file: string, installed: string): string[] {
  const moved = new Map([[file, installed], [`${file}.tmp`, `${installed}.tmp`]]);
  return flags.map((flag) => {
    const [name, list] = flag.split(/=(.*)/s);
    if (list === undefined) return flag;
    return `${name}=${list.split(",").map((item) => moved.get(item) ?? item).join(",")}`;
  });
}

function oneLine(lines: string[]): string {
  return lines.map((line) => line.trim()).filter((line) => line && line !== "Caused by:").join(" ");
}

async function compile(target: string, flags: string[]): Promise<boolean> {
  const output = `${ROOT}dist/ledge-${target}`;
  // Baked in: never a prompt, never a remote import.
  const args = [
    "compile",
    "--quiet",
    "--no-config",
    "--no-prompt",
    "--deny-import",
    `--target=${target}`,
    `--output=${output}`,
  ];
  const out = await new Deno.Command(DENO, {
    args: [...args, ...flags, BUNDLE],
    stdout: "inherit",
    stderr: "piped",
  }).output();
  if (out.success) {
    console.log(`dist/ledge-${target}: ${kilobytes((await Deno.stat(output)).size)}`);
    return true;
  }
  const stderr = new TextDecoder().decode(out.stderr);
  const url = stderr.match(/https:\/\/\S+denort\S+\.zip/)?.[0];
  console.error(
    url
      ? `compile ${target}: cannot download the denort runtime (${url}); ` +
        `set DENORT_BIN to that target's denort and pass --target=${target}`
      : `compile ${target}: ${oneLine(stderr.split("\n"))}`,
  );
  return false;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      config: { type: "string", default: DEVICE_CONFIG },
      "installed-config": { type: "string", default: DEVICE_CONFIG },
      target: { type: "string", multiple: true },
    },
  });
  const targets = values.target ?? TARGETS;
  const unknown = targets.find((t) => !TARGETS.includes(t));
  if (unknown) {
    console.error(`compile: unknown target '${unknown}'; allowed: ${TARGETS.join(", ")}`);
    Deno.exit(2);
  }
  if (Deno.env.get("DENORT_BIN") && targets.length > 1) {
    console.error("compile: DENORT_BIN is one target's runtime; choose it with --target=TARGET");
    Deno.exit(2);
  }
  await bundle();
  const file = values.config;
  const preset = await presetFlags(file).catch((error) => {
    console.error(
      `compile: no preset from ${file}: ${oneLine(error.message.split("\n").slice(1))}`,
    );
    Deno.exit(2);
  });
  const flags = relocateConfig(preset, file, values["installed-config"]);
  console.log(`preset (${file}): ${flags.join(" ")}`);
  for (const target of targets) {
    if (!await compile(target, flags)) Deno.exit(1);
  }
}
