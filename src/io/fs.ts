/** The file reads the collectors and config make, replaceable by fixtures in tests. */
export interface Fs {
  readTextFile(path: string): Promise<string>;
  readDir(path: string): Promise<string[]>;
}

export const denoFs: Fs = {
  readTextFile: (path) => Deno.readTextFile(path),
  readDir: async (path) => {
    const names: string[] = [];
    for await (const entry of Deno.readDir(path)) names.push(entry.name);
    return names;
  },
};

/** Writes `data` to `path` so that a reader sees the old or the new file, never a torn one. */
export async function writeFileAtomic(path: string, data: string, mode = 0o600): Promise<void> {
  const temp = `${path}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  try {
    const file = await Deno.open(temp, { write: true, createNew: true, mode });
    try {
      await file.write(new TextEncoder().encode(data));
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
}
