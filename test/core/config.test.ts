import t from "tap";
import { resolveConfig } from "../../core/config.js";

// The settings a person gives, read as they meant them; what cannot be meant is refused with the fix.

t.test("the port: WEB_PORT, --port, the default, and what is refused", async (t) => {
  t.equal(resolveConfig({}, {}).port, 5000, "5000 by default");
  t.equal(resolveConfig({}, { WEB_PORT: "" }).port, 5000, "an empty WEB_PORT (WEB_PORT= in a shell) is no WEB_PORT, not port 0");
  t.equal(resolveConfig({}, { WEB_PORT: "  " }).port, 5000, "…nor is one of spaces");
  t.equal(resolveConfig({}, { WEB_PORT: "5100" }).port, 5100);
  t.equal(resolveConfig({ port: "5200" }, { WEB_PORT: "5100" }).port, 5200, "--port wins over WEB_PORT");
  t.equal(resolveConfig({ port: "0" }, {}).port, 0, "0 asks the system for any free port, as the message says");
  for (const bad of ["65536", "-1", "5000x", "abc", "1e3", "50.5", ""]) {
    t.throws(() => resolveConfig({ port: bad }, {}), { message: /whole number from 1 to 65535, or 0 to let the system pick a free one/ }, `--port '${bad}' is refused with the range it takes`);
  }
});
