/** A stats sample and its parts (docs/stats.md, "Sample"). Absent = unknown, never invented. */

/** One sample: what is cached and uploaded, one JSON object (one NDJSON line). */
export interface Sample {
  /** Unique per sample and time-ordered (a ULID), for deduplication upstream. */
  id: string;
  /** The box itself: identity, load, memory, WAN. */
  device: Device;
  /** Every network interface with its counters. */
  interfaces?: NetInterface[];
  /** The wireless interfaces the box serves (`[]` when none, as SocketMan sent it). */
  ssids: Ssid[];
  /** The wireless clients associated now (`[]` when none). */
  stations: Station[];
  /** Neighbouring access points (with `survey` set; `[]` otherwise). */
  survey: SurveyEntry[];
  /** dnsmasq's leases (`[]` when none or unreadable). */
  dhcp: DhcpLease[];
  /** The sources that failed, timed out or were read in part, or what was cut, with why. */
  errors?: Record<string, string>;
}

/** SocketMan's device record. Counters are raw totals since boot; the API computes rates. */
export interface Device {
  /** The MAC the box is known by, as in the MQTT topics. */
  mac?: string;
  /** Unix seconds when the sample was taken. */
  created_at?: number;
  /** Whether the health watch thinks the box is online; absent when it does not run. */
  online?: boolean;
  /** Seconds since boot. */
  uptime?: number;
  /** Load average over 1 minute. */
  load_1?: number;
  /** Load average over 5 minutes. */
  load_5?: number;
  /** Load average over 15 minutes. */
  load_15?: number;
  /** Bytes of RAM. */
  total_ram?: number;
  /** Bytes of RAM free. */
  free_ram?: number;
  /** Processes and threads in existence. */
  procs?: number;
  /** Processes runnable now. */
  procs_running?: number;
  /** Processes blocked on I/O now. */
  procs_blocked?: number;
  /** The interface of the default route. */
  wan_name?: string;
  /** The WAN interface's first IPv4 address. */
  wan_ip?: string;
  /** The default route's gateway. */
  wan_gateway?: string;
  /** Bytes sent on the WAN interface. */
  tx_bytes?: number;
  /** Bytes received on the WAN interface. */
  rx_bytes?: number;
  /** The board's model (`/tmp/sysinfo/model`). */
  machine_type?: string;
  /** The firmware's name and version (`/etc/openwrt_version`, else `/etc/os-release`). */
  firmware?: string;
  /** The board's serial number (SocketMan's field; no source reads one yet). */
  serial?: string;
  /** The agent's version (SocketMan's `smv`: its own version, cut to 10 characters). */
  smv?: string;
  /** SocketMan's collection format version: always `"4"`. */
  v?: string;
  /**
   * SocketMan's connection code: 0 no default route, 1 a route but no health check passed,
   * 9 online (SocketMan added 3 for DNS and 5 for the web check; ledge has one check).
   */
  status?: number;
  /** Wireless clients associated now (the number of stations). */
  connected?: number;
}

/** The kernel's counters of one interface (`/proc/net/dev`), totals since boot. */
export interface InterfaceCounters {
  /** Bytes received. */
  rx_bytes?: number;
  /** Bytes sent. */
  tx_bytes?: number;
  /** Packets received. */
  rx_packets?: number;
  /** Packets sent. */
  tx_packets?: number;
  /** Receive errors. */
  rx_errors?: number;
  /** Transmit errors. */
  tx_errors?: number;
  /** Packets dropped on receive. */
  rx_dropped?: number;
  /** Packets dropped on transmit. */
  tx_dropped?: number;
}

/** One network interface, from Deno's interface list, `/sys/class/net` and `/proc/net/dev`. */
export interface NetInterface extends InterfaceCounters {
  /** The kernel's interface index. */
  ifindex?: number;
  /** The interface name (`eth0`, `br-lan`). */
  name: string;
  /** Its hardware address. */
  mac?: string;
  /** Whether its operational state is up. */
  up?: boolean;
  /** Its MTU in bytes. */
  mtu?: number;
  /** Its addresses in CIDR notation. */
  addresses?: string[];
}

/** One wireless interface the box serves (iwinfo over ubus, else `iw dev`). */
export interface Ssid {
  /** The wireless interface (`wlan0`). */
  interface: string;
  /** The network name it serves. */
  ssid?: string;
  /** Its BSSID, upper case as SocketMan wrote it. */
  bssid?: string;
  /** The channel number. */
  channel?: number;
  /** The frequency in MHz. */
  frequency?: number;
  /** The noise floor in dBm. */
  noise?: number;
  /** The signal in dBm. */
  signal?: number;
  /** The link quality, out of `quality_max`. */
  quality?: number;
  /** The scale of `quality`. */
  quality_max?: number;
  /** kbit/s, as iwinfo reports it. */
  bitrate?: number;
  /** The transmit power in dBm. */
  tx_power?: number;
}

/**
 * One associated wireless client (`iw dev X station dump`, or iwinfo's assoclist), with
 * SocketMan's keys, units (bitrates in Mbit/s) and MAC case (upper).
 */
export interface Station {
  /** The wireless interface it is associated with. */
  interface: string;
  /** That interface's network name. */
  ssid?: string;
  /** The client's MAC, upper case as SocketMan wrote it. */
  mac: string;
  /** ms */
  inactive_time?: number;
  /** Packets received from it. */
  rx_packets?: number;
  /** Packets sent to it. */
  tx_packets?: number;
  /** Bytes received from it. */
  rx_bytes?: number;
  /** Bytes sent to it. */
  tx_bytes?: number;
  /** Beacons received from it. */
  beacon_rx?: number;
  /** Transmit retries. */
  tx_retries?: number;
  /** Transmits that failed. */
  tx_failed?: number;
  /** Beacons it missed. */
  beacon_loss?: number;
  /** Its last signal in dBm. */
  signal?: number;
  /** Its average signal in dBm. */
  signal_avg?: number;
  /** Its beacons' average signal in dBm. */
  beacon_signal_avg?: number;
  /** Its TSF offset, µs. */
  t_offset?: number;
  /** Mbit/s, whole (SocketMan's unit). */
  tx_bitrate?: number;
  /** Mbit/s, whole (SocketMan's unit). */
  rx_bitrate?: number;
  /** 802.1X/WPA authorized. */
  authorized?: boolean;
  /** 802.11 authenticated. */
  authenticated?: boolean;
  /** 802.11 associated. */
  associated?: boolean;
  /** WMM/WME in use. */
  wmm?: boolean;
  /** Management frame protection in use. */
  mfp?: boolean;
  /** A TDLS peer. */
  tdls?: boolean;
  /** 1: short preamble, 0: long. */
  preamble?: number;
  /** s */
  conn_time?: number;
  /** kbit/s */
  expected_tput?: number;
  /** The MCS index of its transmit rate. */
  mcs?: number;
}

/** One neighbouring access point (`iw dev X scan dump`, or the survey). */
export interface SurveyEntry {
  /** Its BSSID, upper case as SocketMan wrote it. */
  mac: string;
  /** Its network name. */
  ssid?: string;
  /** Its channel number. */
  channel?: number;
  /** Its frequency in MHz. */
  frequency?: number;
  /** Its signal in dBm. */
  signal?: number;
  /** The link quality, out of `quality_max`. */
  quality?: number;
  /** The scale of `quality`. */
  quality_max?: number;
  /** Worded as iwinfo does: `WPA2 PSK (CCMP)`, `none`. */
  encryption?: string;
  /** ms since the BSS was last seen */
  last_seen?: number;
}

/** One dnsmasq lease (`dhcp_leases`), IPv4 or IPv6. */
export interface DhcpLease {
  /** Absent for IPv6 leases whose DUID does not embed a MAC. */
  mac?: string;
  /** The leased address. */
  ip: string;
  /** The host name the client sent; `*` when none (as in the lease file, as SocketMan sent it). */
  name?: string;
  /** Unix seconds; 0 means an infinite lease (dnsmasq writes it so). */
  expires: number;
  /** The client id (IPv4) or the client's DUID (IPv6), when given. */
  client_id?: string;
}

/** Wireless interfaces and their stations, from whichever tool answered. */
export interface Wireless {
  /** The interfaces. */
  ssids: Ssid[];
  /** Their stations. */
  stations: Station[];
}
