/** The network as the agent's decisions see it, replaceable in tests. */
export interface ProbeResult {
  /** Whether the probe succeeded. */
  ok: boolean;
  /** How long it took, ms. */
  ms: number;
  /** Why it failed. */
  error?: string;
}

/** The network the agent uses. */
export interface Net {
  /** TCP connect to host:port within `timeoutMs`, then close. */
  tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeResult>;
  /** A DNS lookup of `host`. */
  resolveDns(host: string): Promise<ProbeResult>;
  /** HTTP, as the global fetch. */
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;
}
