/** A throwaway CA, a broker certificate for 127.0.0.1 and a client certificate (openssl). */
export interface TestCerts {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A CA that signed nothing here: the broker must fail verification against it. */
  otherCa: string;
}

async function openssl(dir: string, ...args: string[]): Promise<void> {
  const out = await new Deno.Command("openssl", { args, cwd: dir, stdout: "null", stderr: "piped" })
    .output();
  if (!out.success) throw new Error(`openssl ${args[0]}: ${new TextDecoder().decode(out.stderr)}`);
}

async function makeCa(dir: string, name: string): Promise<void> {
  await openssl(
    dir,
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "2",
    "-subj",
    `/CN=${name}`,
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.crt`,
  );
}

async function makeSigned(dir: string, name: string, ext: string): Promise<void> {
  await openssl(
    dir,
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-subj",
    `/CN=${name}`,
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.csr`,
  );
  await Deno.writeTextFile(`${dir}/${name}.ext`, ext);
  await openssl(
    dir,
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-days",
    "2",
    "-extfile",
    `${name}.ext`,
    "-out",
    `${name}.crt`,
  );
}

export async function makeCerts(dir: string): Promise<TestCerts> {
  await makeCa(dir, "ca");
  await makeCa(dir, "other");
  await makeSigned(dir, "server", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  await makeSigned(dir, "client", "extendedKeyUsage=clientAuth\n");
  // Readable by mosquitto after it drops root.
  for (const name of ["server.key", "server.crt", "ca.crt"]) {
    await Deno.chmod(`${dir}/${name}`, 0o644);
  }
  await Deno.chmod(dir, 0o755);
  return {
    ca: `${dir}/ca.crt`,
    serverCert: `${dir}/server.crt`,
    serverKey: `${dir}/server.key`,
    clientCert: `${dir}/client.crt`,
    clientKey: `${dir}/client.key`,
    otherCa: `${dir}/other.crt`,
  };
}
