import { assert, assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { until } from "../../tests/support/poll.ts";
import { FakeExec, FakeFs, okResult } from "../../tests/support/fakes.ts";
import { tempDir } from "../../tests/support/process.ts";
import { denoFs, FileTooLarge } from "./fs.ts";
import { KernelFs, parsePrefixedLines } from "./kernel_fs.ts";

/** Files Deno refuses, as it refuses /proc and /sys without --allow-all. */
class RefusingFs extends FakeFs {
  override readTextFile(path: string): Promise<string> {
    return Promise.reject(new Deno.errors.NotCapable(`Requires all access to "${path}"`));
  }
}

Deno.test("a file past its cap is refused, a symlink to /dev/zero included", async () => {
  await using dir = await tempDir();
  const big = `${dir.path}/big.leases`;
  await Deno.writeTextFile(big, "1732423600 aa:bb:cc:dd:ee:ff 10.0.0.1 h *\n".repeat(50_000));
  await assertRejects(() => denoFs.readTextFile(big, { maxBytes: 1 << 20 }), /larger than 1048576/);
  await Deno.symlink("/dev/zero", `${dir.path}/zero`);
  const error = await denoFs.readTextFile(`${dir.path}/zero`, { maxBytes: 1 << 20 })
    .catch((e) => e);
  assert(error instanceof FileTooLarge, String(error));
});

Deno.test("a read stops when its signal aborts: the writer of a FIFO is left without reader", async () => {
  await using dir = await tempDir();
  const fifo = `${dir.path}/fifo`;
  await new Deno.Command("mkfifo", { args: [fifo] }).output();
  // A slow writer that only ends when nobody reads any more (SIGPIPE). Its first line is
  // written once the reader has the FIFO open: then the read is under way.
  const started = `${dir.path}/started`;
  const writer = new Deno.Command("/bin/sh", {
    args: ["-c", `while :; do echo line; : > ${started}; sleep 0.05; done > ${fifo}`],
    stderr: "null",
  }).spawn();
  const stop = new AbortController();
  const reading = denoFs.readTextFile(fifo, { maxBytes: 1 << 20, signal: stop.signal });
  await until(() => Deno.lstat(started).then(() => true, () => false), "the first line");
  stop.abort();
  await assertRejects(() => reading);
  const { signal } = await writer.status;
  assertEquals(signal, "SIGPIPE", "the reader closed the FIFO at its deadline");
});

Deno.test("KernelFs reads refused kernel files through cat, capped", async () => {
  const exec = new FakeExec((r) =>
    r.argv[1] === "/proc/huge"
      ? { ...okResult("x".repeat(16)), truncated: true }
      : okResult(`contents of ${r.argv[1]}`)
  );
  const fs = new KernelFs(new RefusingFs(), exec);
  assertEquals(await fs.readTextFile("/proc/uptime"), "contents of /proc/uptime");
  assertEquals(exec.requests[0].outputMax, 1 << 20);
  await assertRejects(() => fs.readTextFile("/proc/huge"), /larger than/);
  await assertRejects(() => fs.readTextFile("/etc/shadow"), /Requires all access/);
});

Deno.test("KernelFs reads many refused files with one grep, only what was asked", async () => {
  const exec = new FakeExec(() =>
    okResult("/sys/class/net/eth0/mtu:1500\n/sys/class/net/eth0/address:aa:bb:cc:dd:ee:ff\n")
  );
  const fs = new KernelFs(new RefusingFs(), exec);
  const paths = ["/sys/class/net/eth0/mtu", "/sys/class/net/eth0/address", "/sys/class/net/x/y"];
  const files = await fs.readMany(paths);
  assertEquals(exec.calls, [`grep -s -H  -- ${paths.join(" ")}`]);
  assertEquals([...files], [
    ["/sys/class/net/eth0/mtu", "1500\n"],
    ["/sys/class/net/eth0/address", "aa:bb:cc:dd:ee:ff\n"],
  ]);
  const readable = new KernelFs(new FakeFs(new Map([["/sys/a", "1\n"]])), exec);
  assertEquals([...await readable.readMany(["/sys/a", "/sys/b"])], [["/sys/a", "1\n"]]);
  assertEquals(exec.requests.length, 1, "no program when Deno reads them itself");
});

Deno.test("parsePrefixedLines keeps multi-line files and ignores foreign lines", () => {
  const output = "/proc/a:one\n/proc/a:two\ngrep: noise\n/proc/other:x\n/proc/b:k:v\n";
  assertEquals([...parsePrefixedLines(output, ["/proc/a", "/proc/b"])], [
    ["/proc/a", "one\ntwo\n"],
    ["/proc/b", "k:v\n"],
  ]);
});
