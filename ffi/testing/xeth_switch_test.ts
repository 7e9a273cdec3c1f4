import { equal, match } from "node:assert/strict";
import { xethSwitch } from "./xeth_switch.ts";

Deno.test("xethSwitch: listens on a free loopback port, stops on request", async () => {
  const s = await xethSwitch(`xnoup${Deno.pid % 10000}`);
  match(s.addr, /^127\.0\.0\.1:\d+$/);
  // it answers there
  const conn = await Deno.connect({
    hostname: "127.0.0.1",
    port: Number(s.addr.split(":")[1]),
  });
  conn.close();
  await s.stop();
  equal((await s.child.status).signal, "SIGTERM");
  match(s.log(), /switching for the mux behind xnoup\d+ \(vlan\)/);
});
