import assert from "node:assert/strict";
import { test } from "node:test";

import { originPattern, pollOutcome, serverOrigin, showCode } from "../lib/enrolment.js";

test("the server address as typed becomes an origin; http only on this machine", () => {
  assert.equal(serverOrigin(" family.example/dashboard "), "https://family.example");
  assert.equal(serverOrigin("https://family.example:8443/x"), "https://family.example:8443");
  assert.equal(serverOrigin("http://127.0.0.1:8000"), "http://127.0.0.1:8000");
  assert.throws(() => serverOrigin("http://family.example"), /https/);
  assert.throws(() => serverOrigin(""), /Type the address/);
  assert.throws(() => serverOrigin("ftp://x.example"), /https/);
  assert.equal(originPattern("http://127.0.0.1:8000"), "http://127.0.0.1/*");
});

test("polling follows RFC 8628's answers", () => {
  assert.deepEqual(pollOutcome(400, { error: "authorization_pending" }, 5), { wait: 5 });
  assert.deepEqual(pollOutcome(400, { error: "slow_down" }, 5), { wait: 10 });
  assert.equal(pollOutcome(400, { error: "expired_token" }, 5).restart, true);
  assert.match(pollOutcome(400, { error: "access_denied" }, 5).failed, /refused/);
  assert.deepEqual(pollOutcome(0, null, 5), { wait: 5 }); // offline: keep trying
  assert.deepEqual(pollOutcome(503, null, 5), { wait: 5 });
  const done = pollOutcome(200, { device_token: "t", device: { id: 1 }, removed_url: "https://s/r" }, 5);
  assert.deepEqual(done, { done: true, token: "t", device: { id: 1 }, removedUrl: "https://s/r" });
});

test("the user code is shown as XXXX-XXXX", () => {
  assert.equal(showCode("bcdfghjk"), "BCDF-GHJK");
  assert.equal(showCode("BCDF-GHJK"), "BCDF-GHJK");
});
