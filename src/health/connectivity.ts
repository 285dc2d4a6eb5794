/**
 * What other capabilities ask of the connectivity watch: `network` jobs check before and
 * after they run. The health capability provides the real checks; tests pass fakes.
 */
export interface ConnectivityReport {
  online: boolean;
  /** One short line per check: "tcp 192.0.2.1:53 ok 12ms", "route none". */
  details: string[];
}

export interface Connectivity {
  check(): Promise<ConnectivityReport>;
}
