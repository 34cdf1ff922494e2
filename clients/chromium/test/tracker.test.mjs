import assert from "node:assert/strict";
import { test } from "node:test";

import {
  MAX_BATCH,
  MAX_PENDING,
  closeSegment,
  countedSeconds,
  enqueue,
  nextBatch,
  settle,
  splitRejected,
} from "../lib/tracker.js";

const ids = () => {
  let n = 0;
  return () => `id-${++n}`;
};
const T0 = Date.parse("2026-03-29T00:59:30Z");

test("a segment becomes whole-second events with ids made once", () => {
  const events = closeSegment({ app: "web:video.example", startMs: T0 }, T0 + 61_400, ids());
  assert.deepEqual(events, [
    { id: "id-1", started_at: "2026-03-29T00:59:30.000Z", seconds: 61, app: "web:video.example" },
  ]);
});

test("a long segment is split into events of at most an hour, end to end", () => {
  const events = closeSegment({ app: "", startMs: T0 }, T0 + 7_250_000, ids());
  assert.deepEqual(
    events.map((e) => e.seconds),
    [3600, 3600, 50],
  );
  assert.equal(Date.parse(events[1].started_at), T0 + 3_600_000);
  assert.equal(Date.parse(events[2].started_at), T0 + 7_200_000);
});

test("nothing in front, or under half a second, makes no event", () => {
  assert.deepEqual(closeSegment(null, T0, ids()), []);
  assert.deepEqual(closeSegment({ app: null, startMs: T0 }, T0 + 5000, ids()), []);
  assert.deepEqual(closeSegment({ app: "web:a.example", startMs: T0 }, T0 + 400, ids()), []);
});

test("booked and already-booked events leave the queue; the rest stay with their ids", () => {
  const pending = [{ id: "a" }, { id: "b" }, { id: "c" }];
  assert.deepEqual(settle(pending, { booked: ["a"], ignored: ["c"] }), [{ id: "b" }]);
  assert.deepEqual(settle(pending, {}), pending);
});

test("a batch refused for some events drops those and keeps the others", () => {
  const sent = [{ id: "a" }, { id: "b" }, { id: "c" }];
  const body = { detail: "x", events: [{}, { started_at: ["Is in the future."] }, {}] };
  assert.deepEqual(splitRejected(sent, body), { keep: [{ id: "a" }, { id: "c" }], dropped: [{ id: "b" }] });
  assert.deepEqual(splitRejected(sent, { detail: "Send JSON" }), { keep: sent, dropped: [] });
});

test("the queue is bounded and sent oldest first in batches the server takes", () => {
  const many = Array.from({ length: MAX_PENDING + 5 }, (_, i) => ({ id: String(i) }));
  const kept = enqueue([], many);
  assert.equal(kept.length, MAX_PENDING);
  assert.equal(kept[0].id, "5");
  assert.equal(nextBatch(kept).length, MAX_BATCH);
  assert.equal(nextBatch(kept)[0].id, "5");
});

test("time on always-allowed sites does not count against the limit", () => {
  const events = [
    { app: "web:school.example", seconds: 30 },
    { app: "web:video.example", seconds: 20 },
    { app: "", seconds: 5 },
  ];
  assert.equal(countedSeconds(events, ["school.example"]), 25);
});
