/** The network as the agent's decisions see it, replaceable in tests. */
export interface ProbeResult {
  ok: boolean;
  ms: number;
  error?: string;
}

export interface Net {
  /** TCP connect to host:port within `timeoutMs`, then close. */
  tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeResult>;
  resolveDns(host: string): Promise<ProbeResult>;
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;
}
