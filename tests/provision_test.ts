/** `ledge run -b URL` against a local init server: the agent's provisioning end to end. */
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { runLedge, spawnLedge, tempDir } from "./support/process.ts";

const PROVISIONED = JSON.stringify({ monitor: 30, token: "from-the-init-server" });
const EXISTING = JSON.stringify({ monitor: 60 }) + "\n";

function initServer(answer: () => Response) {
  const queries: URLSearchParams[] = [];
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, (req) => {
    queries.push(new URL(req.url).searchParams);
    return answer();
  });
  return { server, queries, url: `http://127.0.0.1:${server.addr.port}/init` };
}

async function withAgent(
  configPath: string,
  init: ReturnType<typeof initServer>,
  body: (agent: ReturnType<typeof spawnLedge>) => Promise<void>,
) {
  const dir = configPath.slice(0, configPath.lastIndexOf("/"));
  const agent = spawnLedge(["run", "-c", configPath, "-S", `${dir}/ctl.sock`, "-b", init.url], {
    flags: [
      `--allow-read=${dir}`,
      `--allow-write=${dir}`,
      `--allow-net=127.0.0.1:${init.server.addr.port}`,
    ],
  });
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

Deno.test("run -b: without a config, the provisioned one is written 0600 and used", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/config.json`;
  const init = initServer(() => new Response(PROVISIONED, { status: 201 }));
  await withAgent(path, init, async (agent) => {
    await agent.waitFor(/WARN ledge no usable config: provisioning/);
    await agent.waitFor(/INFO provision config provisioned/);
    await agent.waitFor(/INFO ledge agent started/);
    assertEquals(await Deno.readTextFile(path), PROVISIONED);
    assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
    assertEquals(init.queries[0].get("machine"), "unknown");
    assert(init.queries[0].has("firmware"));
    assert(!agent.lines.join("\n").includes("from-the-init-server"), "the token is never logged");
  });
});

Deno.test("run -b: an invalid answer never overwrites a valid config; the agent runs on it", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/config.json`;
  await Deno.writeTextFile(path, EXISTING, { mode: 0o600 });
  const init = initServer(() => new Response(JSON.stringify({ monitor: "often" })));
  await withAgent(path, init, async (agent) => {
    await agent.waitFor(/INFO ledge agent started/);
    const refused = await agent.waitFor(/WARN provision provisioning answer refused/);
    assertMatch(refused, /monitor: got \\"often\\"/);
    assertEquals(await Deno.readTextFile(path), EXISTING);
  });
});

Deno.test("run -b: with a valid config, a different provisioned one replaces it by a reload", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/config.json`;
  await Deno.writeTextFile(path, EXISTING, { mode: 0o600 });
  const init = initServer(() => new Response(PROVISIONED));
  await withAgent(path, init, async (agent) => {
    await agent.waitFor(/INFO ledge config reloaded/);
    assertEquals(await Deno.readTextFile(path), PROVISIONED);
    assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
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
