/**
 * The agent as a subprocess with narrow permissions against a private mosquitto: jobs
 * published with mosquitto_pub, replies and presence read with mosquitto_sub.
 */
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { makeCerts } from "./support/certs.ts";
import { publish, startBroker, subscribe } from "./support/mosquitto.ts";
import { until } from "./support/poll.ts";
import { ask } from "./support/control.ts";
import { type LedgeProcess, spawnLedge, tempDir } from "./support/process.ts";
import { signJob } from "../src/signing/mod.ts";

const MAC = "AA-BB-CC-00-11-22";
const KEY = "k3y-s3cr3t";
const TAIL = `acme/${KEY}/${MAC}`;

async function startAgent(
  dir: string,
  port: number,
  extra: Record<string, unknown> = {},
  net = `127.0.0.1:${port}`,
  env: Record<string, string> = {},
): Promise<LedgeProcess> {
  const config = `${dir}/config.json`;
  const state = `${dir}/state`;
  await Deno.mkdir(state, { recursive: true });
  await Deno.writeTextFile(
    config,
    JSON.stringify({
      mac: MAC,
      topic: "acme",
      key: KEY,
      mqtt_host: "127.0.0.1",
      port,
      state_dir: state,
      reconnect_max: 2,
      "no-cache": 1,
      ...extra,
    }),
  );
  const socket = `${dir}/ctl.sock`;
  const reads = [
    config,
    state,
    socket,
    ...["cacrt", "client_cert", "client_key"].map((k) => extra[k]),
  ].filter(Boolean);
  return spawnLedge(["run", `--config=${config}`, "-S", socket], {
    flags: [
      `--allow-read=${reads.join(",")}`,
      `--allow-write=${state},${socket}`,
      `--allow-net=${net},unix:${socket}`,
      "--allow-run=/bin/sh",
      "--allow-sys=uid",
      ...(env.DENO_CERT ? [`--allow-read=${env.DENO_CERT}`] : []),
    ],
    env,
  });
}

function job(id: string, msg: string): string {
  return JSON.stringify({
    id,
    timestamp: Math.floor(Date.now() / 1000),
    meta: { msg, type: "command" },
  });
}

/** The JSON payload of a `mosquitto_sub -v` line. */
function payloadOf(line: string): Record<string, unknown> {
  return JSON.parse(line.slice(line.indexOf(" ") + 1));
}

Deno.test("a job round trip; the will on kill -9; a job resent while down is DUPLICATE", async () => {
  await using dir = await tempDir();
  await using broker = await startBroker();
  await using watch = await subscribe(broker.port, [
    `status/${TAIL}`,
    `delivery/${TAIL}`,
    `pub/${TAIL}`,
  ]);
  const runs = `${dir.path}/state/runs`;
  let agent = await startAgent(dir.path, broker.port);
  try {
    await agent.waitFor(/INFO mqtt connected to broker/, 30_000);
    const connect = payloadOf(await watch.waitFor(/^status\/.*"online":"1"/));
    assertEquals(connect.app, "socketman");
    assertEquals(connect.meta, { online: "1", client_id: `ledge-${MAC}` });

    const command = `echo ran >> ${runs}; echo hello`;
    await publish(broker.port, `sub/${TAIL}`, job("job-1", command));
    const delivered = payloadOf(await watch.waitFor(/^delivery\/.*"job-1"/));
    assertEquals([delivered.event_type, delivered.meta], ["DELIVERED", { delivered: true }]);
    const processed = payloadOf(await watch.waitFor(/^pub\/.*"job-1"/));
    assertEquals(processed.event_type, "PROCESSED");
    assertEquals(processed.meta, { msg: "hello\n", type: "command" });
    assertEquals(processed.exit_code, 0);

    agent.kill("SIGKILL");
    await agent.status;
    const will = payloadOf(await watch.waitFor(/^status\/.*"online":"0"/));
    assertEquals(will.meta, { online: "0", client_id: `ledge-${MAC}` });

    // Sent while the agent is down: the persistent session (clean: false) keeps it.
    await publish(broker.port, `sub/${TAIL}`, job("job-1", command));
    agent = await startAgent(dir.path, broker.port);
    const again = await watch.waitFor(/^pub\/.*"job-1".*"DUPLICATE"|^pub\/.*"DUPLICATE".*"job-1"/);
    assertEquals(payloadOf(again).event_type, "DUPLICATE");
    assertEquals(await Deno.readTextFile(runs), "ran\n");
    assert(agent.lines.every((l) => !l.includes(KEY)), agent.lines.join("\n"));
  } finally {
    agent.kill();
    await agent.status;
  }
});

Deno.test("signed jobs name their box: one signed with the fleet's secret for another box is refused", async () => {
  await using dir = await tempDir();
  await using broker = await startBroker();
  await using watch = await subscribe(broker.port, [`pub/${TAIL}`]);
  const secret = "the-fleet-job-secret";
  const agent = await startAgent(dir.path, broker.port, { job_secret: secret });
  try {
    await agent.waitFor(/INFO mqtt connected to broker/, 30_000);
    const signed = async (id: string, to: string) => {
      const job = {
        id,
        timestamp: Math.floor(Date.now() / 1000),
        to,
        meta: { msg: `echo ${id}`, type: "command" },
      };
      return JSON.stringify({ ...job, sig: await signJob(job, secret) });
    };
    await publish(broker.port, `sub/${TAIL}`, await signed("for-b", "AA-BB-CC-00-11-99"));
    await publish(broker.port, `sub/${TAIL}`, await signed("for-us", MAC.toLowerCase()));
    const other = payloadOf(await watch.waitFor(/^pub\/.*"for-b"/));
    assertEquals([other.event_type, other.reason], ["REJECTED", "not for this box"]);
    const ours = payloadOf(await watch.waitFor(/^pub\/.*"for-us"/));
    assertEquals([ours.event_type, ours.meta], ["PROCESSED", { msg: "for-us\n", type: "command" }]);
  } finally {
    agent.kill();
    await agent.status;
  }
});

Deno.test("the broker killed while a job runs: the reply arrives once it is back", async () => {
  await using dir = await tempDir();
  await using broker = await startBroker({ persistent: true });
  // A persistent subscriber: the broker keeps its messages across the restart.
  await using watch = await subscribe(broker.port, [`delivery/${TAIL}`, `pub/${TAIL}`], [
    "-c",
    "-i",
    "ledge-test-watch",
  ]);
  const go = `${dir.path}/state/go`;
  const agent = await startAgent(dir.path, broker.port);
  try {
    await agent.waitFor(/INFO mqtt connected to broker/, 30_000);
    const command = `while [ ! -e ${go} ]; do sleep 0.05; done; echo finished`;
    await publish(broker.port, `sub/${TAIL}`, job("job-2", command));
    await watch.waitFor(/^delivery\/.*"job-2"/);
    await broker.kill();
    await agent.waitFor(/WARN mqtt disconnected from broker/, 30_000);
    await Deno.writeTextFile(go, "");
    const outbox = `${dir.path}/state/outbox.jsonl`;
    await until(
      async () => (await Deno.readTextFile(outbox).catch(() => "")).includes("job-2"),
      "the reply in the outbox",
    );
    await broker.restart();
    const processed = payloadOf(await watch.waitFor(/^pub\/.*"job-2"/, 30_000));
    assertEquals(processed.event_type, "PROCESSED");
    assertEquals((processed.meta as { msg: string }).msg, "finished\n");
    await until(async () => (await Deno.readTextFile(outbox)).trim() === "", "the outbox to empty");
  } finally {
    agent.kill();
    await agent.status;
  }
});

Deno.test("TLS without a client certificate: verified against cacrt, a job round trip", async () => {
  await using dir = await tempDir();
  await using certsDir = await tempDir();
  const certs = await makeCerts(certsDir.path);
  await using broker = await startBroker({
    listener: [`certfile ${certs.serverCert}`, `keyfile ${certs.serverKey}`],
  });
  const cafile = ["--cafile", certs.ca];
  await using replies = await subscribe(broker.port, [`pub/${TAIL}`], [], cafile);
  const agent = await startAgent(dir.path, broker.port, { tls: true, cacrt: certs.ca });
  try {
    await agent.waitFor(/INFO mqtt connected to broker/, 30_000);
    await publish(broker.port, `sub/${TAIL}`, job("over-tls", "echo tls"), cafile);
    const line = await replies.waitFor(/"id":"over-tls"/, 30_000);
    assertMatch(line, /"event_type":"PROCESSED"/);
  } finally {
    agent.kill();
    await agent.status;
  }
});

Deno.test("mTLS: accepted with a client certificate, refused without, and the CA is checked", async () => {
  await using dir = await tempDir();
  await using certsDir = await tempDir();
  const certs = await makeCerts(certsDir.path);
  await using broker = await startBroker({
    listener: [
      `cafile ${certs.ca}`,
      `certfile ${certs.serverCert}`,
      `keyfile ${certs.serverKey}`,
      "require_certificate true",
    ],
  });
  const tls = { tls: true, cacrt: certs.ca };
  const mutual = { ...tls, client_cert: certs.clientCert, client_key: certs.clientKey };
  const accepted = await startAgent(`${dir.path}/a`, broker.port, mutual);
  const noClientCert = await startAgent(`${dir.path}/b`, broker.port, { ...tls, debug: 1 });
  const wrongCa = await startAgent(`${dir.path}/c`, broker.port, {
    ...mutual,
    cacrt: certs.otherCa,
    insecure: 1, // for API requests only: never the broker
    debug: 1,
  });
  // No cacrt: the default store, which does not know our test CA.
  const noCa = await startAgent(`${dir.path}/d`, broker.port, {
    ...mutual,
    cacrt: undefined,
    debug: 1,
  });
  const refusals = [
    [noClientCert, /CertificateRequired/],
    // Verified by node:tls against cacrt alone (the pin).
    [wrongCa, /self-signed certificate in certificate chain|unable to verify/],
    [noCa, /UnknownIssuer/],
  ] as const;
  try {
    await accepted.waitFor(/INFO mqtt connected to broker/, 30_000);
    // The refused ones keep trying: each has failed twice without ever connecting.
    for (const [agent, why] of refusals) {
      await until(() => agent.lines.filter((l) => /reconnecting/.test(l)).length >= 2, "retries");
      assert(!agent.lines.some((l) => /connected to broker/.test(l)), agent.lines.join("\n"));
      const refused = agent.lines.find((l) => /WARN mqtt cannot connect to broker/.test(l));
      assertMatch(refused ?? agent.lines.join("\n"), why);
    }
  } finally {
    for (const agent of [accepted, noClientCert, wrongCa, noCa]) {
      agent.kill();
      await agent.status;
    }
  }
});

for (const version of ["3.1.1", "5"]) {
  Deno.test(`wrong credentials (MQTT ${version}): one clear log line, then backoff rather than a tight loop`, async () => {
    await using dir = await tempDir();
    const password = "right-horse-battery";
    await using broker = await startBroker({ users: { device: password } });
    const agent = await startAgent(dir.path, broker.port, {
      username: "device",
      password: "wrong-horse-battery",
      reconnect_max: 1,
      mqtt_version: version,
    });
    const started = performance.now();
    try {
      const refusals = () => broker.log().match(/not authori[sz]ed/g)?.length ?? 0;
      await until(() => refusals() >= 4, "four refused attempts", 30_000);
      const elapsed = performance.now() - started;
      // With reconnect_max 1 the mean wait is ~0.5 s; a tight loop would be hundreds a second.
      assert(refusals() <= elapsed / 100 + 2, `${refusals()} attempts in ${elapsed} ms`);
      const lines = agent.lines.filter((l) => /broker refused credentials/.test(l));
      assertEquals(lines.length, 1, agent.lines.join("\n"));
      assertMatch(lines[0], /^ERROR mqtt broker refused credentials .*username=device/);
      // MQTT 5's reason code says which refusal it was.
      if (version === "5") {
        assertMatch(lines[0], /reason="connection refused by the broker: not authorized"/);
      }
      assert(agent.lines.every((l) => !l.includes("wrong-horse")), agent.lines.join("\n"));
    } finally {
      agent.kill();
      await agent.status;
    }
  });
}

Deno.test("a reply over the broker's packet limit is cut down once refused; the replies behind it go out", async () => {
  await using dir = await tempDir();
  // mosquitto drops a client that publishes a packet over this size: no error, a close.
  await using broker = await startBroker({ listener: ["max_packet_size 2048"] });
  await using watch = await subscribe(broker.port, [`pub/${TAIL}`]);
  const agent = await startAgent(dir.path, broker.port);
  try {
    await agent.waitFor(/INFO mqtt connected to broker/, 30_000);
    await publish(broker.port, `sub/${TAIL}`, job("big", "head -c 5000 /dev/zero | tr '\\0' x"));
    await publish(broker.port, `sub/${TAIL}`, job("after", "echo after"));
    const big = payloadOf(await watch.waitFor(/^pub\/\S+ .*"id":"big"/, 60_000));
    assertEquals([big.event_type, big.truncated], ["PROCESSED", true]);
    assert(new TextEncoder().encode(JSON.stringify(big)).length <= 2048);
    assertMatch((big.meta as { msg: string }).msg, /^x+$/);
    const after = payloadOf(await watch.waitFor(/^pub\/\S+ .*"id":"after"/, 60_000));
    assertEquals((after.meta as { msg: string }).msg, "after\n");
    const said = agent.lines.filter((l) => l.includes("reply refused by the broker"));
    assertEquals(said.length, 1, said.join("\n"));
    assertMatch(said[0], /id=big/);
  } finally {
    agent.kill();
    await agent.status;
  }
});

Deno.test("MQTT 5: a reply is cut to the broker's Maximum Packet Size before it is sent; no connection lost", async () => {
  await using dir = await tempDir();
  // mosquitto tells an MQTT 5 client its limit in the CONNACK.
  await using broker = await startBroker({ listener: ["max_packet_size 2048"] });
  await using watch = await subscribe(broker.port, [`pub/${TAIL}`], ["-V", "5"]);
  const agent = await startAgent(dir.path, broker.port, { mqtt_version: "5" });
  try {
    await agent.waitFor(/INFO mqtt connected to broker/, 30_000);
    await publish(broker.port, `sub/${TAIL}`, job("big", "head -c 5000 /dev/zero | tr '\\0' x"));
    await publish(broker.port, `sub/${TAIL}`, job("after", "echo after"));
    const big = payloadOf(await watch.waitFor(/^pub\/\S+ .*"id":"big"/, 30_000));
    assertEquals([big.event_type, big.truncated], ["PROCESSED", true]);
    assert(new TextEncoder().encode(JSON.stringify(big)).length <= 2048);
    await watch.waitFor(/^pub\/\S+ .*"id":"after"/, 30_000);
    const lost = agent.lines.filter((l) => /disconnected from broker|reply refused/.test(l));
    assertEquals(lost, []);
  } finally {
    agent.kill();
    await agent.status;
  }
});

Deno.test("cacrt is a pin: a broker certificate from another CA the runtime trusts is refused", async () => {
  await using dir = await tempDir();
  await using certsDir = await tempDir();
  const certs = await makeCerts(certsDir.path);
  await using broker = await startBroker({
    listener: [`certfile ${certs.serverCert}`, `keyfile ${certs.serverKey}`],
  });
  // The broker's CA is in the runtime's own store (as a public CA would be); cacrt names
  // another one. Deno's caCerts would add cacrt to that store and accept the broker.
  const trusted = { DENO_CERT: certs.ca };
  const pinned = await startAgent(
    `${dir.path}/a`,
    broker.port,
    { tls: true, cacrt: certs.otherCa, debug: 1 },
    undefined,
    trusted,
  );
  const storeOnly = await startAgent(
    `${dir.path}/b`,
    broker.port,
    { tls: true },
    undefined,
    trusted,
  );
  try {
    await storeOnly.waitFor(/INFO mqtt connected to broker/, 30_000);
    await until(() => pinned.lines.filter((l) => /reconnecting/.test(l)).length >= 2, "retries");
    assert(!pinned.lines.some((l) => /connected to broker/.test(l)), pinned.lines.join("\n"));
    assertMatch(
      pinned.lines.find((l) => /WARN mqtt cannot connect to broker/.test(l)) ?? "",
      /self-signed certificate in certificate chain|unable to verify/,
    );
  } finally {
    for (const agent of [pinned, storeOnly]) {
      agent.kill();
      await agent.status;
    }
  }
});

Deno.test("client_id names the session and the presence message", async () => {
  await using dir = await tempDir();
  await using broker = await startBroker();
  await using watch = await subscribe(broker.port, [`status/${TAIL}`]);
  const agent = await startAgent(dir.path, broker.port, { client_id: "fleet-box-7" });
  try {
    const connect = payloadOf(await watch.waitFor(/^status\/.*"online":"1"/, 30_000));
    assertEquals(connect.meta, { online: "1", client_id: "fleet-box-7" });
    assertMatch(broker.log(), /New client connected .* as fleet-box-7/);
  } finally {
    agent.kill();
    await agent.status;
  }
});

Deno.test("MQTT 5 with mosquitto 2: a job round trip; a retained job comes to a new subscription, not again at a restart", async () => {
  await using dir = await tempDir();
  await using broker = await startBroker();
  await using watch = await subscribe(broker.port, [`delivery/${TAIL}`, `pub/${TAIL}`]);
  const runs = `${dir.path}/state/runs`;
  // Parked for the box, retained: MQTT 5's Retain Handling 1 sends it to a new subscription.
  await publish(broker.port, `sub/${TAIL}`, job("parked", `echo ran >> ${runs}; echo parked`), [
    "-r",
  ]);
  let agent = await startAgent(dir.path, broker.port, { mqtt_version: "5" });
  try {
    await agent.waitFor(/INFO mqtt connected to broker/, 30_000);
    assertMatch(broker.log(), /as ledge-AA-BB-CC-00-11-22 \(p5, c0, k30/);
    const parked = payloadOf(await watch.waitFor(/^pub\/\S+ .*"id":"parked"/, 30_000));
    assertEquals(parked.event_type, "PROCESSED");
    await publish(broker.port, `sub/${TAIL}`, job("v5", "echo five"));
    const five = payloadOf(await watch.waitFor(/^pub\/\S+ .*"id":"v5"/, 30_000));
    assertEquals([five.event_type, (five.meta as { msg: string }).msg], ["PROCESSED", "five\n"]);

    // A restart subscribes again (a new start may have new topics): the retained job is not
    // sent again to the existing subscription, so no DUPLICATE.
    agent.kill();
    await agent.status;
    agent = await startAgent(dir.path, broker.port, { mqtt_version: "5" });
    await agent.waitFor(/INFO mqtt connected to broker/, 30_000);
    await publish(broker.port, `sub/${TAIL}`, job("marker", "echo marker"));
    await watch.waitFor(/^pub\/\S+ .*"id":"marker"/, 30_000);
    assertEquals(
      watch.messages.filter((m) => /"parked".*DUPLICATE|DUPLICATE.*"parked"/.test(m)),
      [],
    );
    assertEquals(await Deno.readTextFile(runs), "ran\n");
  } finally {
    agent.kill();
    await agent.status;
  }
});

Deno.test("MQTT auto: 3.1.1 with a broker that refuses level 5", async () => {
  await using dir = await tempDir();
  // A broker that answers a level-5 CONNECT with 3.1.1's "unacceptable protocol version".
  using refusing = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (refusing.addr as Deno.NetAddr).port;
  /** The next connection that sends a CONNECT (the health watch probes the port too). */
  const nextConnect = async () => {
    for (;;) {
      const conn = await refusing.accept();
      const buffer = new Uint8Array(256);
      const n = await conn.read(buffer).catch(() => null);
      // After the remaining length (1-4 bytes) and "MQTT" (6): the protocol level.
      let i = 1;
      while (buffer[i] & 0x80) i++;
      if (n !== null && buffer[0] === 0x10) return { conn, level: buffer[i + 7] };
      conn.close();
    }
  };
  const agent = await startAgent(dir.path, port, { mqtt_version: "auto" });
  try {
    const first = await nextConnect();
    assertEquals(first.level, 5, "the first CONNECT asks for level 5");
    await first.conn.write(new Uint8Array([0x20, 2, 0, 1]));
    const second = await nextConnect();
    assertEquals(second.level, 4, "then 3.1.1");
    await agent.waitFor(/does not speak MQTT 5: using 3.1.1/, 10_000);
    for (const { conn } of [first, second]) conn.close();
  } finally {
    agent.kill();
    await agent.status;
  }
});

Deno.test("mqtt_backup_hosts: a broker that cannot be reached is followed by the next in turn", async () => {
  await using dir = await tempDir();
  await using broker = await startBroker(); // on 127.0.0.1 only: 127.0.0.2 refuses
  await using watch = await subscribe(broker.port, [`pub/${TAIL}`]);
  const agent = await startAgent(
    dir.path,
    broker.port,
    { mqtt_host: "127.0.0.2", mqtt_backup_hosts: ["127.0.0.1"], health_url: "127.0.0.1" },
    `127.0.0.2:${broker.port},127.0.0.1:${broker.port}`,
  );
  try {
    const connected = await agent.waitFor(/INFO mqtt connected to broker/, 30_000);
    assertMatch(connected, new RegExp(`broker=127\\.0\\.0\\.1:${broker.port}`));
    assertMatch(
      agent.lines.find((l) => /cannot connect to broker/.test(l)) ?? "",
      new RegExp(`broker=127\\.0\\.0\\.2:${broker.port}`),
    );
    await publish(broker.port, `sub/${TAIL}`, job("via-backup", "echo backup"));
    const reply = payloadOf(await watch.waitFor(/^pub\/\S+ .*"via-backup"/, 30_000));
    assertEquals((reply.meta as { msg: string }).msg, "backup\n");
  } finally {
    agent.kill();
    await agent.status;
  }
});

/** `mosquitto_sub` MQTT 5 lines: `topic|expiry|user properties|correlation|payload`. */
const V5_FORMAT = ["-V", "5", "-F", "%t|%E|%P|%D|%p"];

function fieldsOf(line: string) {
  const [topic, expiry, user, correlation, ...rest] = line.split("|");
  return { topic, expiry, user, correlation, reply: JSON.parse(rest.join("|")) };
}

Deno.test("MQTT 5 request/response with mosquitto_rr: the result on its response topic with the correlation data; user properties on every reply; reply_expiry_s", async () => {
  await using dir = await tempDir();
  await using broker = await startBroker();
  await using watch = await subscribe(
    broker.port,
    [`delivery/${TAIL}`, `pub/${TAIL}`, "answers/#"],
    V5_FORMAT,
  );
  const agent = await startAgent(dir.path, broker.port, {
    mqtt_version: "5",
    reply_expiry_s: 600,
  });
  try {
    await agent.waitFor(/INFO mqtt connected to broker/, 30_000);
    // The real request/response client: it sends the response topic and waits there.
    const rr = await new Deno.Command("mosquitto_rr", {
      args: [
        ...["-h", "127.0.0.1", "-p", String(broker.port), "-q", "1", "-W", "30"],
        ...["-t", `sub/${TAIL}`, "-e", "answers/rr-1", "-m", job("rr-1", "echo answered")],
        ...["-D", "publish", "correlation-data", "corr-7"],
        ...["-D", "publish", "user-property", "trace", "t-42"],
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(rr.stdout);
    assert(rr.success, new TextDecoder().decode(rr.stderr));
    const answer = JSON.parse(out);
    assertEquals([answer.id, answer.event_type, answer.meta.msg], [
      "rr-1",
      "PROCESSED",
      "answered\n",
    ]);

    const answered = fieldsOf(await watch.waitFor(/^answers\/rr-1\|/));
    assertEquals([answered.correlation, answered.user], ["corr-7", "trace:t-42"]);
    assertEquals(answered.reply.id, "rr-1");
    for (const kind of ["delivery", "pub"]) {
      const reply = fieldsOf(await watch.waitFor(new RegExp(`^${kind}/\\S+\\|.*"rr-1"`)));
      assertEquals(reply.user, "trace:t-42", kind);
      // The broker passes on what is left of the expiry: within a minute of 600 s.
      assert(Number(reply.expiry) > 540 && Number(reply.expiry) <= 600, reply.expiry);
    }
    // Only the result goes to the response topic, not the DELIVERED acknowledgement.
    assertEquals(watch.messages.filter((m) => m.startsWith("answers/")).length, 1);

    // A response topic that cannot be one: REJECTED on pub/..., and it did not run.
    await publish(broker.port, `sub/${TAIL}`, job("bad-rt", "echo no"), [
      ...["-V", "mqttv5", "-D", "publish", "response-topic", "answers/+"],
    ]);
    const bad = fieldsOf(await watch.waitFor(/^pub\/\S+\|.*"bad-rt"/));
    assertEquals([bad.reply.event_type, bad.reply.reason], [
      "REJECTED",
      "invalid response topic: a wildcard or NUL in it",
    ]);
  } finally {
    agent.kill();
    await agent.status;
  }
});

Deno.test("MQTT 5 message expiry: a job that expired at the broker never comes, one that expired in the queue is EXPIRED", async () => {
  await using dir = await tempDir();
  await using broker = await startBroker();
  await using watch = await subscribe(broker.port, [`delivery/${TAIL}`, `pub/${TAIL}`]);
  const runs = `${dir.path}/runs`;
  const go = `${dir.path}/go`;
  const v5 = (seconds?: number) => [
    ...["-V", "mqttv5"],
    ...(seconds === undefined ? [] : ["-D", "publish", "message-expiry-interval", `${seconds}`]),
  ];
  const config = { mqtt_version: "5", job_concurrency: 1 };
  let agent = await startAgent(dir.path, broker.port, config);
  try {
    await agent.waitFor(/INFO mqtt connected to broker/, 30_000);
    // Expired in the queue: it waits behind a job that holds the only slot.
    const hold = `until [ -e ${go} ]; do sleep 0.05; done; echo held`;
    await publish(broker.port, `sub/${TAIL}`, job("hold", hold), v5());
    await watch.waitFor(/^delivery\/\S+ .*"hold"/);
    await publish(broker.port, `sub/${TAIL}`, job("queued", `echo q >> ${runs}`), v5(1));
    await watch.waitFor(/^delivery\/\S+ .*"queued"/);
    // Its one second (at most: the broker passes on what is left) counts from before this.
    const queuedAt = performance.now();
    await publish(broker.port, `sub/${TAIL}`, job("kept", `echo k >> ${runs}`), v5(600));
    await watch.waitFor(/^delivery\/\S+ .*"kept"/);
    // What is waited for is time itself: the message's one second of life.
    await until(() => performance.now() - queuedAt > 1500, "the queued job's expiry");
    await Deno.writeTextFile(go, "");
    const queued = payloadOf(await watch.waitFor(/^pub\/\S+ .*"queued"/));
    assertEquals([queued.event_type, queued.reason], ["EXPIRED", "expired before it could start"]);
    await watch.waitFor(/^pub\/\S+ .*"kept".*PROCESSED/);

    // Expired at the broker while the box was away: the persistent session drops it. (Sent
    // while the broker still thought the box connected, it would be in flight, not expired.)
    const gone = () =>
      broker.log().match(/Client ledge-\S+ (closed its connection|disconnected)/g)?.length ?? 0;
    const goneBefore = gone();
    agent.kill();
    await agent.status;
    await until(() => gone() > goneBefore, "the broker to see the box gone");
    await publish(broker.port, `sub/${TAIL}`, job("stale", `echo s >> ${runs}`), v5(1));
    const sentAt = performance.now();
    await publish(broker.port, `sub/${TAIL}`, job("fresh", `echo f >> ${runs}`), v5(600));
    // mosquitto keeps time in whole seconds: a one-second expiry has passed within two.
    await until(() => performance.now() - sentAt > 2500, "the stale job's expiry");
    agent = await startAgent(dir.path, broker.port, config);
    await watch.waitFor(/^pub\/\S+ .*"fresh".*PROCESSED/);
    assertEquals(await Deno.readTextFile(runs), "k\nf\n");
    assertEquals(watch.messages.filter((m) => m.includes('"stale"')), []);
  } finally {
    agent.kill();
    await agent.status;
  }
});

Deno.test("MQTT 5 with a mosquitto ACL: a reply the broker does not authorize is kept, said, shown in mqtt-info, holds none behind it, and goes once allowed", async () => {
  await using dir = await tempDir();
  const acl = (pub: boolean) =>
    [
      "user admin",
      "topic readwrite #",
      "user device",
      "topic read sub/#",
      "topic write delivery/#",
      "topic write status/#",
      ...(pub ? ["topic write pub/#"] : []),
    ].join("\n") + "\n";
  await using broker = await startBroker({
    users: { admin: "admin-pw", device: "device-pw" },
    acl: acl(false),
  });
  const admin = ["-u", "admin", "-P", "admin-pw"];
  await using watch = await subscribe(broker.port, [`delivery/${TAIL}`, `pub/${TAIL}`], [], admin);
  const agent = await startAgent(dir.path, broker.port, {
    mqtt_version: "5",
    username: "device",
    password: "device-pw",
  });
  try {
    await agent.waitFor(/INFO mqtt connected to broker/, 30_000);
    await publish(broker.port, `sub/${TAIL}`, job("denied", "echo kept"), admin);
    const said = await agent.waitFor(/reply refused by the broker, kept/);
    assertMatch(said, /id=denied.*not authorized/);
    const info = await ask(`${dir.path}/ctl.sock`, { command: "mqtt-info" });
    const mqtt = info["mqtt-info"] as Record<string, unknown>;
    assertEquals(mqtt["last-refusal"], "publish refused by the broker: not authorized");
    assertEquals(mqtt["replies-waiting"], 1);
    // The refused reply does not hold the ones behind it (this DELIVERED is authorized).
    await publish(broker.port, `sub/${TAIL}`, job("next", "echo next"), admin);
    await watch.waitFor(/^delivery\/\S+ .*"next"/);

    // Allowed now: the kept reply goes at its next try, whole.
    await Deno.writeTextFile(`${broker.dir}/acl`, acl(true));
    broker.reload();
    const kept = payloadOf(await watch.waitFor(/^pub\/\S+ .*"denied"/, 30_000));
    assertEquals([kept.event_type, (kept.meta as { msg: string }).msg], ["PROCESSED", "kept\n"]);
    await watch.waitFor(/^pub\/\S+ .*"next"/, 30_000);
    assertEquals(agent.lines.filter((l) => l.includes("refused by the broker, kept")).length, 2);

    // A response topic the ACL refuses: said, and the reply on pub/... goes all the same.
    await publish(broker.port, `sub/${TAIL}`, job("rr", "echo rr"), [
      ...admin,
      ...["-V", "mqttv5", "-D", "publish", "response-topic", "answers/rr"],
    ]);
    await watch.waitFor(/^pub\/\S+ .*"rr"/, 30_000);
    assertMatch(
      await agent.waitFor(/result refused on its response topic/),
      /id=rr .*not authorized/,
    );
  } finally {
    agent.kill();
    await agent.status;
  }
});
