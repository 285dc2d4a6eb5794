/**
 * SocketMan's API authentication: `?access_token=<token>` (and the device's `&mac=<mac>`)
 * added to the URL the operator configured, keeping the query already in it.
 *
 * @example
 * apiUrl("https://api.example/stats?v=2", { token: "t", mac: "88-DC" }).search;
 * // "?v=2&access_token=t&mac=88-DC"
 */
export function apiUrl(base: string, query: { token?: string; mac?: string }): URL {
  const url = new URL(base);
  if (query.token !== undefined && query.token !== "") {
    url.searchParams.set("access_token", query.token);
  }
  if (query.mac !== undefined) url.searchParams.set("mac", query.mac);
  return url;
}
