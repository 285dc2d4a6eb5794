/** A stats sample and its parts (docs/stats.md, "Sample"). Absent = unknown, never invented. */

/** One sample: what is cached and uploaded, one JSON object (one NDJSON line). */
export interface Sample {
  /** Unique per sample and time-ordered (a ULID), for deduplication upstream. */
  id: string;
  device: Device;
  interfaces?: NetInterface[];
  ssids?: Ssid[];
  stations?: Station[];
  survey?: SurveyEntry[];
  dhcp?: DhcpLease[];
  /** The sources that failed, timed out or were read in part, or what was cut, with why. */
  errors?: Record<string, string>;
}

export interface Device {
  mac?: string;
  created_at?: number;
  online?: boolean;
  uptime?: number;
  load_1?: number;
  load_5?: number;
  load_15?: number;
  total_ram?: number;
  free_ram?: number;
  procs?: number;
  procs_running?: number;
  procs_blocked?: number;
  wan_name?: string;
  wan_ip?: string;
  wan_gateway?: string;
  tx_bytes?: number;
  rx_bytes?: number;
  machine_type?: string;
  firmware?: string;
  serial?: string;
}

export interface InterfaceCounters {
  rx_bytes?: number;
  tx_bytes?: number;
  rx_packets?: number;
  tx_packets?: number;
  rx_errors?: number;
  tx_errors?: number;
  rx_dropped?: number;
  tx_dropped?: number;
}

export interface NetInterface extends InterfaceCounters {
  ifindex?: number;
  name: string;
  mac?: string;
  up?: boolean;
  mtu?: number;
  addresses?: string[];
}

export interface Ssid {
  interface: string;
  ssid?: string;
  bssid?: string;
  channel?: number;
  frequency?: number;
  noise?: number;
  signal?: number;
  quality?: number;
  quality_max?: number;
  /** kbit/s, as iwinfo reports it. */
  bitrate?: number;
  tx_power?: number;
}

export interface Station {
  interface: string;
  ssid?: string;
  mac: string;
  /** ms */
  inactive_time?: number;
  rx_packets?: number;
  tx_packets?: number;
  rx_bytes?: number;
  tx_bytes?: number;
  tx_retries?: number;
  tx_failed?: number;
  signal?: number;
  signal_avg?: number;
  /** kbit/s */
  tx_bitrate?: number;
  /** kbit/s */
  rx_bitrate?: number;
  authorized?: boolean;
  authenticated?: boolean;
  associated?: boolean;
  /** s */
  conn_time?: number;
  /** kbit/s */
  expected_tput?: number;
}

export interface SurveyEntry {
  mac: string;
  ssid?: string;
  channel?: number;
  frequency?: number;
  signal?: number;
  quality?: number;
  quality_max?: number;
  encryption?: string;
  /** ms since the BSS was last seen */
  last_seen?: number;
}

export interface DhcpLease {
  /** Absent for IPv6 leases whose DUID does not embed a MAC. */
  mac?: string;
  ip: string;
  name?: string;
  /** Unix seconds; 0 means an infinite lease (dnsmasq writes it so). */
  expires: number;
  /** The client id (IPv4) or the client's DUID (IPv6), when given. */
  client_id?: string;
}

/** Wireless interfaces and their stations, from whichever tool answered. */
export interface Wireless {
  ssids: Ssid[];
  stations: Station[];
}
