// Foreground time as usage events (pure: the service worker keeps the state in
// chrome.storage.local, this module only computes).
//
// A *segment* is one stretch of time with one app in front: {app, startMs}. When anything
// changes (another tab, another window, the browser loses focus, the user goes idle, the
// minute's report) the segment is closed into events and a new one opened. Each event gets its
// id once, when it is made, and keeps it until the server has booked it: a retry after being
// offline, or after the browser restarted, sends the same ids, which the server books once.

export const MAX_EVENT_SECONDS = 3600;
export const MAX_BATCH = 500;
// Kept at most this many unsent events (a week offline in one-minute pieces is ~10 000).
export const MAX_PENDING = 20000;

/** The events of `segment` closed at `endMs`: whole seconds (rounded: two neighbours overlap by
 * at most half a second, which the server counts as rounding), at most an hour each. */
export function closeSegment(segment, endMs, newId) {
  if (!segment || segment.app === null || segment.app === undefined) return [];
  const events = [];
  let start = segment.startMs;
  let total = Math.round((endMs - start) / 1000);
  while (total >= 1) {
    const seconds = Math.min(total, MAX_EVENT_SECONDS);
    events.push({
      id: newId(),
      started_at: new Date(start).toISOString(),
      seconds,
      app: segment.app,
    });
    start += seconds * 1000;
    total -= seconds;
  }
  return events;
}

/** Pending events after an answer: those the server booked or had booked already are gone. */
export function settle(pending, answer) {
  const done = new Set([...(answer.booked ?? []), ...(answer.ignored ?? [])]);
  return pending.filter((event) => !done.has(event.id));
}

/** After a 400 naming bad events (one entry per event sent, `{}` for a good one): the events
 * the server will never take (dropped, counted), and the rest to send again. A batch refused
 * as a whole (no per-event list) keeps everything. */
export function splitRejected(sent, errorBody) {
  const perEvent = Array.isArray(errorBody?.events) ? errorBody.events : null;
  if (!perEvent || perEvent.length !== sent.length) return { keep: sent, dropped: [] };
  const keep = [];
  const dropped = [];
  sent.forEach((event, index) => {
    const errors = perEvent[index] ?? {};
    (Object.keys(errors).length ? dropped : keep).push(event);
  });
  return { keep, dropped };
}

/** Add new events, keeping the newest MAX_PENDING. */
export function enqueue(pending, events) {
  const all = pending.concat(events);
  return all.length > MAX_PENDING ? all.slice(all.length - MAX_PENDING) : all;
}

/** The first batch to send: oldest first, at most MAX_BATCH. */
export function nextBatch(pending) {
  return pending.slice(0, MAX_BATCH);
}

/** Seconds that count against the limit in `events` (not always-allowed sites). */
export function countedSeconds(events, allowedSites) {
  const allowed = new Set(allowedSites.map((site) => `web:${site}`));
  return events
    .filter((event) => !allowed.has(String(event.app).toLowerCase()))
    .reduce((sum, event) => sum + event.seconds, 0);
}
