import { assertEquals } from "../../tests/support/assert.ts";
import { VERSION } from "../version.ts";
import { assembleSample } from "./assemble.ts";

const meta = { id: "01J", mac: "88-DC-96-00-00-01", createdAt: 1732420000 };

Deno.test("sample: without a route, SocketMan's 0.0.0.0 gateway and status 0; its lists empty", () => {
  assertEquals(assembleSample({ ...meta, online: false }, []), {
    id: "01J",
    device: {
      wan_gateway: "0.0.0.0",
      smv: VERSION,
      mac: "88-DC-96-00-00-01",
      v: "4",
      status: 0,
      connected: 0,
      created_at: 1732420000,
      online: false,
    },
    ssids: [],
    stations: [],
    survey: [],
    dhcp: [],
  });
});

Deno.test("sample: status 1 with a route while the health watch says offline, 9 online", () => {
  const route = [{ device: { wan_name: "eth1", wan_gateway: "10.0.0.1" } }];
  const status = (online: boolean | undefined) =>
    assembleSample({ ...meta, online }, route).device.status;
  assertEquals([status(false), status(true), status(undefined)], [1, 9, 9]);
});
