import assert from "node:assert/strict";
import { test } from "node:test";

import {
  badge,
  durationWords,
  effectiveState,
  namesWords,
  newWarnings,
  opensWords,
  timeCanHelp,
  warningsShown,
  whyWords,
} from "../lib/state.js";

const NOW = Date.parse("2026-12-01T15:00:00Z");
const policy = (extra = {}) => ({
  allowed: true,
  reason: "ok",
  seconds_left: 600,
  limit_seconds: 3600,
  local_date: "2026-12-01",
  day_end_utc: "2026-12-02T00:00:00Z",
  next_change_at: null,
  offline_valid_until: "2026-12-02T15:00:00Z",
  downtime_next_48h: [],
  warnings_due: [],
  ...extra,
});

test("without a policy nothing is enforced", () => {
  assert.deepEqual(effectiveState(null, NOW), { allowed: true, reason: "ok", secondsLeft: null, opensAt: null });
});

test("time used since the policy came counts down locally, to the limit", () => {
  assert.equal(effectiveState(policy(), NOW, 120).secondsLeft, 480);
  const over = effectiveState(policy(), NOW, 700);
  assert.equal(over.allowed, false);
  assert.equal(over.reason, "daily_limit");
  assert.equal(over.opensAt, Date.parse("2026-12-02T00:00:00Z"));
});

test("a new day starts afresh at the day's limit, offline too", () => {
  const state = effectiveState(policy({ seconds_left: 0, allowed: false, reason: "daily_limit" }), Date.parse("2026-12-02T01:00:00Z"));
  assert.deepEqual([state.allowed, state.secondsLeft], [true, 3600]);
});

test("downtime from the policy's own list, even offline", () => {
  const p = policy({
    downtime_next_48h: [{ start: "2026-12-01T21:00:00Z", end: "2026-12-02T06:00:00Z", name: "Bedtime" }],
  });
  assert.equal(effectiveState(p, NOW).allowed, true);
  const night = effectiveState(p, Date.parse("2026-12-01T22:00:00Z"));
  assert.equal(night.reason, "downtime");
  assert.equal(night.downtimeName, "Bedtime");
  assert.equal(night.opensAt, Date.parse("2026-12-02T06:00:00Z"));
});

test("a policy older than its offline validity closes the browser", () => {
  const state = effectiveState(policy(), Date.parse("2026-12-02T15:00:01Z"));
  assert.deepEqual([state.allowed, state.reason], [false, "offline_expired"]);
});

test("no limit today: nothing counts down", () => {
  const state = effectiveState(policy({ seconds_left: null, limit_seconds: null }), NOW, 99999);
  assert.deepEqual([state.allowed, state.secondsLeft], [true, null]);
});

test("words and badge round time left down", () => {
  assert.equal(durationWords(3599), "59 min");
  assert.equal(durationWords(3900), "1 h 5 min");
  assert.equal(durationWords(7200), "2 h");
  assert.equal(durationWords(30), "Under a minute");
  assert.equal(durationWords(0), "No time left");
  assert.equal(durationWords(null), "No limit today");
  assert.equal(badge({ allowed: true, secondsLeft: 899 }).text, "14");
  assert.equal(badge({ allowed: true, secondsLeft: 7200 }).text, "2h");
  assert.equal(badge({ allowed: false, secondsLeft: 0 }).text, "0");
  assert.equal(badge({ allowed: true, secondsLeft: null }).text, "");
});

test("why a page is closed, and whether asking for time helps", () => {
  assert.equal(whyWords("downtime", { downtimeName: "Bedtime" }), "It is downtime (Bedtime).");
  assert.equal(whyWords("keyword", { keyword: "dragon" }), "This page has a blocked word: “dragon”.");
  assert.ok(timeCanHelp("daily_limit"));
  assert.ok(!timeCanHelp("downtime")); // grants never lift downtime
  assert.ok(!timeCanHelp("blocked_site"));
  assert.equal(namesWords(["Alice", "Bob", "Carol"], "Supervised by"), "Supervised by Alice, Bob and Carol");
  assert.equal(namesWords([]), "");
});

test("each warning is shown once a day", () => {
  const p = policy({ warnings_due: [15, 5] });
  assert.deepEqual(newWarnings(p, null), [15, 5]);
  const shown = warningsShown(p, null, [15]);
  assert.deepEqual(newWarnings(p, shown), [5]);
  assert.deepEqual(newWarnings({ ...p, local_date: "2026-12-02" }, shown), [15, 5]);
});

test("when it opens, in words", () => {
  const at = new Date(NOW);
  at.setHours(at.getHours() + 1);
  assert.match(opensWords(at.getTime(), NOW, "en-GB"), /^Opens again at \d\d:\d\d$/);
  const tomorrow = new Date(NOW);
  tomorrow.setDate(tomorrow.getDate() + 1);
  assert.match(opensWords(tomorrow.getTime(), NOW, "en-GB"), /^Opens again tomorrow at/);
  assert.equal(opensWords(null, NOW), "");
  const midnight = new Date(NOW);
  midnight.setHours(24, 0, 0, 0); // the coming midnight, in this machine's zone
  assert.equal(opensWords(midnight.getTime(), NOW, "en-GB"), "Opens again at midnight");
});

test("lock now closes the browser until its end, or until a new policy unlocks it", () => {
  const locked = policy({ allowed: false, reason: "locked", lock: { category: null, until: "2026-12-01T17:30:00Z", by: "Alice" } });
  const state = effectiveState(locked, NOW);
  assert.equal(state.allowed, false);
  assert.equal(state.reason, "locked");
  assert.equal(state.opensAt, Date.parse("2026-12-01T17:30:00Z"));
  assert.equal(whyWords(state.reason, { lockBy: state.lockBy }), "Alice locked your devices for now.");
  assert.ok(!timeCanHelp("locked")); // more time does not lift a lock
  // Its end passed while offline: open again (the day's limit still counts).
  assert.equal(effectiveState(locked, Date.parse("2026-12-01T17:31:00Z")).allowed, true);
  // Until unlocked: closed however long, while the policy is valid.
  const open = policy({ allowed: false, reason: "locked", lock: { category: null, until: null, by: "Alice" } });
  assert.equal(effectiveState(open, Date.parse("2026-12-01T23:00:00Z")).reason, "locked");
});
