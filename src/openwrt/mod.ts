/**
 * OpenWRT's own formats, read: UCI's text (`uci export`, the files in /etc/config), where a
 * list is told from an option. Pure, used by desired state (UCI backups) and upgrades (the
 * box's time zone).
 */
export { findSection, parseUciExport, type UciSection, type UciValue } from "./uci_text.ts";
