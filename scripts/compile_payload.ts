/**
 * What `deno compile` baked into a Linux binary, read back: the metadata (permissions, V8
 * flags, entry point) and the embedded files. Deno 2.9 (libsui) appends one ELF note named
 * SUI whose descriptor is `u16 name length, "d3n0l4nd", data`; the data starts with the
 * magic again, then `u64 length, metadata JSON`, the other sections, the virtual file
 * system as `u64 length, JSON`, and the files' bytes as `u64 length, bytes`. The runtime
 * finds the note in memory (dl_iterate_phdr), not through /proc/self/exe, which is why a
 * runtime patched for /usr/lib/ledge keeps its payload.
 */

const MAGIC = new TextEncoder().encode("d3n0l4nd");
const PT_NOTE = 4;

export interface CompiledPayload {
  // deno-lint-ignore no-explicit-any
  metadata: Record<string, any>;
  /** The embedded files by name, with their bytes. */
  files: Map<string, Uint8Array>;
}

function indexOf(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
  outer: for (let i = from; i <= haystack.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** The descriptors of the notes named `name` in an ELF64 little-endian file. */
function notes(elf: Uint8Array, name: string): Uint8Array[] {
  const view = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  if (view.getUint32(0) !== 0x7f454c46 || elf[4] !== 2 || elf[5] !== 1) {
    throw new Error("not an ELF64 little-endian file");
  }
  const phoff = Number(view.getBigUint64(0x20, true));
  const phentsize = view.getUint16(0x36, true);
  const found: Uint8Array[] = [];
  for (let i = 0; i < view.getUint16(0x38, true); i++) {
    const ph = phoff + i * phentsize;
    if (view.getUint32(ph, true) !== PT_NOTE) continue;
    const start = Number(view.getBigUint64(ph + 8, true));
    const end = start + Number(view.getBigUint64(ph + 32, true));
    for (let at = start; at + 12 <= end;) {
      const namesz = view.getUint32(at, true);
      const descsz = view.getUint32(at + 4, true);
      const nameAt = at + 12;
      const descAt = nameAt + Math.ceil(namesz / 4) * 4;
      const noteName = new TextDecoder().decode(elf.subarray(nameAt, nameAt + namesz - 1));
      if (noteName === name) found.push(elf.subarray(descAt, descAt + descsz));
      at = descAt + Math.ceil(descsz / 4) * 4;
    }
  }
  return found;
}

/** A `u64 length, bytes` block at `at`: the bytes and where the next block starts. */
function block(data: Uint8Array, at: number): { bytes: Uint8Array; next: number } {
  const length = Number(new DataView(data.buffer, data.byteOffset + at, 8).getBigUint64(0, true));
  return { bytes: data.subarray(at + 8, at + 8 + length), next: at + 8 + length };
}

/** Decodes the payload of a binary `deno compile` wrote. */
export function decodePayload(binary: Uint8Array): CompiledPayload {
  const [desc] = notes(binary, "SUI");
  if (!desc) throw new Error("no SUI note: not a deno compile'd binary");
  const start = indexOf(desc, MAGIC, indexOf(desc, MAGIC) + MAGIC.length);
  if (start < 0) throw new Error("no d3n0l4nd data section in the SUI note");
  const decoder = new TextDecoder();
  const meta = block(desc, start + MAGIC.length);
  const metadata = JSON.parse(decoder.decode(meta.bytes));
  // The virtual file system is the JSON block that lists the entry point.
  const vfsAt = indexOf(desc, new TextEncoder().encode('[{"'), meta.next) - 8;
  if (vfsAt < meta.next) throw new Error("no virtual file system in the payload");
  const vfs = block(desc, vfsAt);
  const data = block(desc, vfs.next).bytes;
  const files = new Map<string, Uint8Array>();
  const visit = (entries: Record<string, { n: string; o?: [number, number]; e?: unknown[] }>[]) => {
    for (const entry of entries) {
      const [kind, value] = Object.entries(entry)[0];
      if (kind === "File" && value.o) {
        files.set(value.n, data.subarray(value.o[0], value.o[0] + value.o[1]));
      } else if (kind === "Dir" && Array.isArray(value.e)) visit(value.e as typeof entries);
    }
  };
  visit(JSON.parse(decoder.decode(vfs.bytes)));
  return { metadata, files };
}
