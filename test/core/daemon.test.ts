import t from "tap";
import { buildDaemon } from "../../core/bootstrap.js";
import { resolveConfig } from "../../core/config.js";
import { tempHome } from "../helpers/daemon.js";

// The daemon's own lifecycle.

t.test("a daemon that cannot listen ends in the failed phase, not starting forever", async (t) => {
  // 192.0.2.1 (TEST-NET-1) is no address of this machine: binding it fails.
  const config = resolveConfig({ home: tempHome(), host: "192.0.2.1", port: 0 }, { ETERNEGO_TOKEN: "a-long-random-token-for-tests", ETERNEGO_QUIET: "1" });
  const daemon = await buildDaemon(config);
  await t.rejects(daemon.start(), /EADDRNOTAVAIL|address/i, "start fails with the reason");
  t.equal(daemon.phase, "failed");
  await daemon.stop();
  t.equal(daemon.phase, "failed", "stop leaves a failed daemon as it is");
});
