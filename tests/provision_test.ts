/** `ledge run -b URL` against a local init server: the agent's provisioning end to end. */
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { runLedge, spawnLedge, tempDir } from "./support/process.ts";

const PROVISIONED = JSON.stringify({ monitor: 30, token: "from-the-init-server" });

/**
 * The init server (`/init`) and a stats API (`/stats`) on one port: the API refuses the
 * box's token (401) until a config with the init server's token comes, as after a rotation.
 */
function initServer(answer: () => Response) {
  const queries: URLSearchParams[] = [];
  const tokens: string[] = [];
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    if (url.pathname === "/stats") {
      await req.body?.cancel();
      const token = url.searchParams.get("access_token") ?? "";
      tokens.push(token);
      return new Response(null, { status: token === "from-the-init-server" ? 200 : 401 });
    }
    queries.push(url.searchParams);
    return answer();
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  return { server, queries, tokens, url: `${base}/init`, stats: `${base}/stats` };
}

/**
 * A box with a valid config that uploads each sample at once to the init server's stats API
 * with a token it refuses; `keys` are the box's own.
 */
function boxWithStaleToken(init: ReturnType<typeof initServer>, keys: Record<string, unknown>) {
  return JSON.stringify({
    mac: "88-DC-96-00-00-01",
    stats_url: init.stats,
    token: "stale",
    "no-cache": 1,
    scan: 0,
    ...keys,
  }) + "\n";
}

/** The agent as the launcher starts it: under `ledge flags run ... -b URL`. */
async function withAgent(
  configPath: string,
  init: ReturnType<typeof initServer>,
  body: (agent: ReturnType<typeof spawnLedge>) => Promise<void>,
) {
  const dir = configPath.slice(0, configPath.lastIndexOf("/"));
  const args = ["run", "-c", configPath, "-S", `${dir}/ctl.sock`, "-b", init.url];
  const printed = await runLedge(["flags", ...args], ["--allow-read"]);
  assertEquals(printed.code, 0, printed.stderr);
  const agent = spawnLedge(args, { flags: printed.stdout.split("\n").filter(Boolean) });
  try {
    await body(agent);
    agent.kill("SIGTERM");
    assertEquals((await agent.status).code, 0, agent.lines.join("\n"));
  } finally {
    agent.kill("SIGKILL");
    await agent.status;
    await init.server.shutdown();
  }
}

Deno.test("run -b from nothing, under the printed preset: provisioned, then run on its own", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/config.json`;
  const socket = `${dir.path}/ctl.sock`;
  const init = initServer(() =>
    new Response(JSON.stringify({ ...JSON.parse(PROVISIONED), boot_cmd: "touch /tmp/pwned" }), {
      status: 201,
    })
  );
  try {
    // No config yet: check-config prints what provisioning needs (and says so).
    const first = await runLedge(
      ["check-config", path, "--print-permissions", "-S", socket, "-b", init.url],
      [`--allow-read=${path}`],
    );
    assertEquals(first.code, 0, first.stderr);
    assertMatch(first.stderr, /no valid config at .*: the flags to provision it/);
    const firstFlags = first.stdout.trim().split(" ");
    const writable = firstFlags.find((f) => f.startsWith("--allow-write="))!.split(/[=,]/);
    assert(writable.includes(path) && writable.includes(`${path}.tmp`), first.stdout);
    const provisioning = spawnLedge(["run", "-c", path, "-S", socket, "-b", init.url], {
      flags: firstFlags,
    });
    await provisioning.waitFor(/config provisioned; restarting/, 30_000);
    const { code } = await provisioning.status;
    assertEquals(code, 3, provisioning.lines.join("\n"));
    assertMatch(
      provisioning.lines.join("\n"),
      /config provisioned; restarting with its permissions/,
    );
    const written = JSON.parse(await Deno.readTextFile(path));
    assertEquals(written.token, "from-the-init-server");
    assertEquals(written.boot_cmd, undefined, "nothing that runs a program comes from HTTP");
    assertMatch(provisioning.lines.join("\n"), /\bboot_cmd from the init server ignored/);
    assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
    assertEquals(init.queries[0].get("machine"), "unknown");
    assert(init.queries[0].has("firmware"));
    assert(!provisioning.lines.join("\n").includes("from-the-init-server"), "no token in the log");

    // The restart: the preset of the provisioned config, which starts the agent.
    const second = await runLedge(
      ["check-config", path, "--print-permissions", "-S", socket],
      [`--allow-read=${path}`],
    );
    assertEquals(second.code, 0, second.stderr);
    const agent = spawnLedge(["run", "-c", path, "-S", socket], {
      flags: second.stdout.trim().split(" "),
    });
    try {
      await agent.waitFor(/INFO ledge agent started/, 30_000);
      agent.kill("SIGTERM");
      assertEquals((await agent.status).code, 0, agent.lines.join("\n"));
    } finally {
      agent.kill("SIGKILL");
      await agent.status;
    }
  } finally {
    await init.server.shutdown();
  }
});

Deno.test("run -b: with a valid config the init server is asked only when the API refuses the token", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/config.json`;
  const init = initServer(() => new Response(PROVISIONED));
  await Deno.writeTextFile(path, boxWithStaleToken(init, {}), { mode: 0o600 });
  await withAgent(path, init, async (agent) => {
    await agent.waitFor(/INFO ledge agent started/);
    const asked = await agent.waitFor(/token refused: asking the init server/, 60_000);
    // Nothing was asked at start: the first request came after the refusal.
    assertEquals(init.tokens[0], "stale");
    assertMatch(asked, /WARN/);
    await agent.waitFor(/INFO ledge config reloaded/, 30_000);
    assertEquals(init.queries.length, 1, "one ask for one refusal");
    const written = JSON.parse(await Deno.readTextFile(path));
    assertEquals([written.token, written.monitor], ["from-the-init-server", 30]);
    assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
  });
});

Deno.test("run -b: an invalid answer never overwrites a valid config; the agent runs on it", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/config.json`;
  const init = initServer(() => new Response(JSON.stringify({ monitor: "often" })));
  const existing = boxWithStaleToken(init, { monitor: 60 });
  await Deno.writeTextFile(path, existing, { mode: 0o600 });
  await withAgent(path, init, async (agent) => {
    await agent.waitFor(/INFO ledge agent started/);
    const refused = await agent.waitFor(/WARN provision provisioning answer refused/, 60_000);
    assertMatch(refused, /monitor: got \\"often\\"/);
    assertEquals(await Deno.readTextFile(path), existing);
  });
});

Deno.test("run -b: an answer without job_secret keeps the box's, and says which keys it ignored", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/config.json`;
  const init = initServer(() =>
    new Response(
      JSON.stringify({ monitor: 30, control_socket_group: "users", token: "from-the-init-server" }),
    )
  );
  const local = { monitor: 60, job_secret: "the-box-job-secret", control_socket_group: "root" };
  await Deno.writeTextFile(path, boxWithStaleToken(init, local), { mode: 0o600 });
  await withAgent(path, init, async (agent) => {
    await agent.waitFor(/INFO ledge config reloaded/, 60_000);
    const written = JSON.parse(await Deno.readTextFile(path));
    assertEquals(
      [written.monitor, written.job_secret, written.control_socket_group],
      [30, "the-box-job-secret", "root"],
    );
    const ignored = agent.lines.filter((l) => /from the init server ignored/.test(l));
    assertEquals(ignored.length, 1, ignored.join("\n"));
    assertMatch(ignored[0], /job_secret, control_socket_group from the init server ignored/);
    assert(!agent.lines.join("\n").includes("the-box-job-secret"), "the secret is never logged");
  });
});

Deno.test("run -b: a bad URL is a usage error; without --allow-net for it and no config, exit 2", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/config.json`;
  const bad = await runLedge(["run", "-c", path, "-b", "ftp://x"], [`--allow-read=${dir.path}`]);
  assertEquals(bad.code, 2);
  assertMatch(bad.stderr, /--init-url: got 'ftp:\/\/x'; allowed: an http:\/\/ or https:\/\/ URL/);
  const denied = await runLedge(
    ["run", "-c", path, "-b", "http://127.0.0.1:9/init"],
    [`--allow-read=${dir.path}`, `--allow-write=${dir.path}`],
  );
  assertEquals(denied.code, 2);
  assertMatch(denied.stderr, /provisioning \(-b\) disabled: permission missing.*127\.0\.0\.1:9/);
});
