import { assert, assertEquals, assertMatch } from "../../tests/support/assert.ts";
import { liveProcessesInGroup } from "../../tests/support/procfs.ts";
import { until } from "../../tests/support/poll.ts";
import { exists, tempDir } from "../../tests/support/process.ts";
import { createDenoExec, denoExec } from "./exec_deno.ts";

const sh = (script: string) => ["/bin/sh", "-c", script];
const base = { timeoutMs: 30_000, outputMax: 1024 };

/** The job scripts print `$$` first: in its own session the shell's pid is the group id. */
function groupOf(output: string): number {
  const pgid = Number(output.split("\n")[0]);
  assert(pgid > 1, `no pgid in ${JSON.stringify(output.slice(0, 40))}`);
  return pgid;
}

Deno.test("denoExec keeps stdout and stderr apart, with the exit code", async () => {
  const result = await denoExec.run({ ...base, argv: sh("echo out; echo err >&2; exit 3") });
  assertEquals(result.exitCode, 3);
  assertEquals([result.output, result.stderr], ["out\n", "err\n"]);
  assertEquals([result.truncated, result.timedOut, result.cancelled], [false, false, false]);
  assertEquals(result.error, undefined);
});

Deno.test("denoExec runs without a shell when given argv", async () => {
  const result = await denoExec.run({ ...base, argv: ["/bin/echo", "$(id);", "*"] });
  assertEquals([result.exitCode, result.output], [0, "$(id); *\n"]);
});

Deno.test("denoExec keeps the head of a long stdout and says it was cut", async () => {
  const result = await denoExec.run({
    ...base,
    argv: sh("i=0; while [ $i -lt 3000 ]; do echo line-$i; i=$((i+1)); done; echo END"),
  });
  assertEquals(result.exitCode, 0);
  assert(result.truncated);
  assertEquals(new TextEncoder().encode(result.output).length, 1024);
  assert(result.output.startsWith("line-0\nline-1\n"), result.output.slice(0, 20));
  assertEquals(result.stderr, "");
});

Deno.test("denoExec keeps the tail of a long stderr, where a program says why it failed", async () => {
  const result = await denoExec.run({
    ...base,
    argv: sh("i=0; while [ $i -lt 2000 ]; do echo noise-$i >&2; i=$((i+1)); done; echo FATAL >&2"),
    stderrMax: 512,
  });
  assert(result.truncated);
  assertEquals(result.output, "");
  assertEquals(new TextEncoder().encode(result.stderr).length, 512);
  assert(result.stderr.endsWith("noise-1999\nFATAL\n"));
});

Deno.test("denoExec reports a program that cannot start", async () => {
  const result = await denoExec.run({ ...base, argv: ["/nonexistent/program"] });
  assertEquals(result.exitCode, null);
  assertMatch(result.error ?? "", /No such file|not found/i);
});

Deno.test("denoExec times out with SIGTERM to the whole group", async () => {
  const result = await createDenoExec({ killGraceMs: 60_000 }).run({
    ...base,
    timeoutMs: 300,
    argv: sh("echo $$; sleep 1000 & sleep 1000"),
  });
  assert(result.timedOut);
  assertEquals(result.exitCode, null);
  const pgid = groupOf(result.output);
  await until(() => liveProcessesInGroup(pgid).length === 0, `group ${pgid} to be gone`);
});

Deno.test("denoExec escalates to SIGKILL after the grace when SIGTERM is ignored", async () => {
  const result = await createDenoExec({ killGraceMs: 200 }).run({
    ...base,
    timeoutMs: 300,
    argv: sh("trap '' TERM; echo $$; sleep 1000 & sleep 1000"),
  });
  assert(result.timedOut);
  const pgid = groupOf(result.output);
  await until(() => liveProcessesInGroup(pgid).length === 0, `group ${pgid} to be gone`);
});

Deno.test("denoExec cancels through the AbortSignal", async () => {
  const pidFile = await Deno.makeTempFile();
  try {
    const controller = new AbortController();
    const running = denoExec.run({
      ...base,
      argv: sh(`sleep 1000 & echo $$ > ${pidFile}; sleep 1000`),
      signal: controller.signal,
    });
    await until(() => Deno.readTextFileSync(pidFile).endsWith("\n"), "the pid file");
    controller.abort();
    const result = await running;
    assert(result.cancelled && !result.timedOut);
    const pgid = groupOf(Deno.readTextFileSync(pidFile));
    await until(() => liveProcessesInGroup(pgid).length === 0, `group ${pgid} to be gone`);
  } finally {
    await Deno.remove(pidFile);
  }
});

Deno.test("denoExec does not start a job already cancelled", async () => {
  const result = await denoExec.run({
    ...base,
    argv: ["/nonexistent/program"],
    signal: AbortSignal.abort(),
  });
  assertEquals([result.cancelled, result.error], [true, undefined]);
});

Deno.test("denoExec does not wait for a background child holding the pipes", async () => {
  const result = await createDenoExec({ drainMs: 100 }).run({
    ...base,
    argv: sh("echo $$; sleep 1000 & echo done"),
  });
  assertEquals(result.exitCode, 0);
  assert(result.output.endsWith("done\n"));
  const pgid = groupOf(result.output);
  // Left alone, as SocketMan's system() left it (this also shows the /proc check sees
  // live processes); the test cleans up.
  assertEquals(liveProcessesInGroup(pgid).length, 1);
  Deno.kill(-pgid, "SIGKILL");
  await until(() => liveProcessesInGroup(pgid).length === 0, `group ${pgid} to be gone`);
});

Deno.test("a program alone runs in this process's group, and a timeout kills it", async () => {
  // Fields 5 and 6 of /proc/PID/stat, the process group and the session, of the program and
  // of its parent, this process (which Deno lets read its own /proc files only with -A).
  const stat = await denoExec.run({
    ...base,
    alone: true,
    argv: sh("cat /proc/$$/stat /proc/$PPID/stat"),
  });
  const [program, parent] = stat.output.trim().split("\n").map((line) =>
    line.split(") ")[1].split(" ").slice(2, 4)
  );
  assertEquals(program, parent, stat.output);
  const slow = await createDenoExec({ killGraceMs: 60_000 }).run({
    ...base,
    alone: true,
    timeoutMs: 200,
    argv: ["/bin/sleep", "1000"],
  });
  assertEquals([slow.timedOut, slow.exitCode], [true, null]);
});

Deno.test("a shell job leads its own session through setsid, or detached without it", async () => {
  await using dir = await tempDir();
  const spy = `${dir.path}/setsid`;
  // Records that it ran, then is setsid (exec: same pid, as setsid is in turn).
  await Deno.writeTextFile(spy, `#!/bin/sh\necho "$*" >> ${spy}.calls\nexec setsid "$@"\n`, {
    mode: 0o755,
  });
  // Fields 6 and 5 of /proc/PID/stat: the session and the process group.
  const script = 'read -r stat < /proc/$$/stat; set -- $stat; echo "$1 $6 $5"';
  for (const setsid of [spy, `${dir.path}/absent`]) {
    const result = await createDenoExec({ setsid }).run({ ...base, argv: sh(script) });
    const [pid, session, group] = result.output.trim().split(" ");
    assertEquals([session, group], [pid, pid], `${setsid}: ${result.output}`);
  }
  assertEquals(await Deno.readTextFile(`${spy}.calls`), `/bin/sh -c ${script}\n`);
});

/** A setsid that writes its pid (the shell's: both exec in place) to `pidFile` first. */
async function pidRecordingSetsid(dir: string): Promise<{ setsid: string; pidFile: string }> {
  const setsid = `${dir}/setsid`;
  const pidFile = `${dir}/shell.pid`;
  await Deno.writeTextFile(setsid, `#!/bin/sh\necho $$ > ${pidFile}\nexec setsid "$@"\n`, {
    mode: 0o755,
  });
  return { setsid, pidFile };
}

Deno.test("a gated shell command starts at once and runs only when the gate opens; never when it closes", async () => {
  await using dir = await tempDir();
  const { setsid, pidFile } = await pidRecordingSetsid(dir.path);
  const exec = createDenoExec({ setsid });
  const marker = `${dir.path}/ran`;
  for (const open of [true, false]) {
    const gate = Promise.withResolvers<boolean>();
    const running = exec.run({
      ...base,
      argv: sh(`touch ${marker}; echo ran`),
      gate: gate.promise,
    });
    await until(() => exists(pidFile), "the shell to start before the gate opens");
    assert(!await exists(marker), "ran before its gate opened");
    gate.resolve(open);
    const result = await running;
    assertEquals(
      [result.exitCode, result.output, await exists(marker)],
      open ? [0, "ran\n", true] : [125, "", false],
    );
    await Deno.remove(pidFile);
    await Deno.remove(marker).catch(() => {});
  }
  // Not a shell: started only once the gate opens.
  const notRun = await exec.run({ ...base, argv: ["/bin/true"], gate: Promise.resolve(false) });
  assertEquals([notRun.exitCode, notRun.error], [null, "not run: its gate closed"]);
});

Deno.test("a gated shell whose agent dies before the gate opens exits without running", async () => {
  await using dir = await tempDir();
  const { setsid, pidFile } = await pidRecordingSetsid(dir.path);
  const marker = `${dir.path}/ran`;
  // An agent that starts the shell behind a gate that never opens, then is killed.
  const agent = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `import { createDenoExec } from "${new URL("./exec_deno.ts", import.meta.url)}";
       createDenoExec({ setsid: "${setsid}" }).run({
         argv: ["/bin/sh", "-c", "touch ${marker}"], timeoutMs: 60000, outputMax: 100,
         gate: new Promise(() => {}),
       });
       await new Promise(() => {});`,
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
  await until(() => exists(pidFile), "the gated shell to start");
  const shell = Number(await Deno.readTextFile(pidFile));
  agent.kill("SIGKILL");
  await agent.status;
  await until(() => exists(`/proc/${shell}`).then((alive) => !alive), "the shell to exit");
  assert(!await exists(marker), "the command ran after its agent died");
});
