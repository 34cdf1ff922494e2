// Family Pairing's service worker: links the browser (RFC 8628), counts foreground time per
// site, holds the change channel (the policy long poll), enforces the policy with
// declarativeNetRequest, and tells the server how it is installed. The decisions live in lib/
// (no chrome.* there, unit-tested); this file only wires them to the browser.
//
// Everything that must survive the worker being stopped is in chrome.storage.local: the token,
// the policy and its ETag, the open time segment, and the usage events not yet booked.

import { appForUrl, alwaysAllowedSites } from "./lib/domain.js";
import { buildRules, pageBlockReason } from "./lib/rules.js";
import { linkPoll, linkStart } from "./linking.js";
import { api, config, get, json, locked, set, sleep } from "./server.js";
import {
  badge,
  effectiveState,
  newWarnings,
  warningsShown,
} from "./lib/state.js";
import {
  closeSegment,
  countedSeconds,
  enqueue,
  nextBatch,
  settle,
  splitRejected,
} from "./lib/tracker.js";

const CLIENT_VERSION = chrome.runtime.getManifest().version;
const BLOCK_PAGE = chrome.runtime.getURL("block.html");
const IDLE_SECONDS = 60;
// Long polls answer within `wait`; a request still open this long after is given up.
const POLL_MARGIN_MS = 10_000;

/** The token stopped working (the device was removed on the site): back to not linked. */
async function forgetLink(why) {
  await set({ token: null, policy: null, etag: null, linkState: why });
  await enforce();
}

// --- time ---------------------------------------------------------------------------------------

async function foregroundApp() {
  const idle = await chrome.idle.queryState(IDLE_SECONDS);
  if (idle !== "active") return null; // idle or locked time does not count
  const window = await chrome.windows.getLastFocused().catch(() => null);
  if (!window || !window.focused) return null;
  const [tab] = await chrome.tabs.query({ active: true, windowId: window.id });
  if (!tab?.url) return null;
  return appForUrl(tab.url);
}

/** Close the open segment if the app in front changed (or always, with `force`). */
function track({ force = false } = {}) {
  return locked(async () => {
    const now = Date.now();
    const { reportSeconds } = await config();
    const { segment, pending = [], token } = await get(["segment", "pending", "token"]);
    const app = await foregroundApp();
    if (segment && segment.app === app && !force) {
      await set({ segment: { ...segment, seenMs: now } });
      return;
    }
    // After a pause of the worker or of the whole browser, the segment ends when it was last
    // seen (plus at most one report interval), not now: closed time is not counted.
    const end = segment ? Math.min(now, (segment.seenMs ?? segment.startMs) + reportSeconds * 1500 + 5000) : now;
    // Time before the browser is linked belongs to no one: not kept.
    const events = token ? closeSegment(segment, end, () => crypto.randomUUID()) : [];
    await set({
      pending: enqueue(pending, events),
      segment: app === null ? null : { app, startMs: now, seenMs: now },
    });
  });
}

let reporting = false;
/** Send the events not yet booked, oldest first; keep what the server did not take. */
async function report() {
  if (reporting) return;
  reporting = true;
  try {
    for (let round = 0; round < 50; round++) {
      const { token, pending = [] } = await get(["token", "pending"]);
      if (!token || !pending.length) return;
      const batch = nextBatch(pending);
      let response;
      try {
        response = await api("/api/v1/device/usage", { method: "POST", body: { events: batch } });
      } catch {
        return; // offline: the events wait, with their ids
      }
      if (response.status === 200) {
        const answer = await json(response);
        await locked(async () => {
          const { pending: now = [], policy } = await get(["pending", "policy"]);
          const values = { pending: settle(now, answer) };
          if (policy && answer) {
            values.policy = {
              ...policy,
              allowed: answer.allowed,
              reason: answer.reason,
              seconds_left: answer.seconds_left,
              used_seconds: answer.used_seconds,
              limit_seconds: answer.limit_seconds,
              next_change_at: answer.next_change_at,
              // Time running down changes no version: the warnings come with this answer.
              warnings_due: answer.warnings_due ?? policy.warnings_due,
            };
          }
          await set(values);
        });
        await enforce();
        await notifyWarnings();
      } else if (response.status === 400) {
        const { keep, dropped } = splitRejected(batch, await json(response));
        if (!dropped.length) return;
        await locked(async () => {
          const { pending: now = [], droppedEvents = 0 } = await get(["pending", "droppedEvents"]);
          const gone = new Set(dropped.map((event) => event.id));
          await set({
            pending: now.filter((event) => !gone.has(event.id)),
            droppedEvents: droppedEvents + dropped.length,
          });
        });
        if (!keep.length) continue;
      } else {
        if (response.status === 401) await forgetLink("removed");
        return;
      }
    }
  } finally {
    reporting = false;
  }
}

async function tick() {
  await track({ force: true });
  await report();
  await enforce();
  await timeRequestsFollow();
  void pollLoop();
}

// --- the policy ---------------------------------------------------------------------------------

let polling = false;
/** The change channel: a long poll with the ETag held, asked again at once after each answer. */
async function pollLoop() {
  if (polling) return;
  polling = true;
  let pause = 1000;
  try {
    for (;;) {
      const { token, etag } = await get(["token", "etag"]);
      if (!token) return;
      const { pollWait } = await config();
      let response;
      try {
        response = await api(`/api/v1/device/policy?wait=${pollWait}`, {
          headers: etag ? { "If-None-Match": etag } : {},
          timeoutMs: pollWait * 1000 + POLL_MARGIN_MS,
        });
      } catch {
        await enforce();
        await sleep(pause);
        pause = Math.min(pause * 2, 30_000);
        continue;
      }
      pause = 1000;
      if (response.status === 200) {
        const policy = await json(response);
        if (policy) await policyReceived(policy, response.headers.get("ETag"));
      } else if (response.status === 304) {
        continue;
      } else if (response.status === 401) {
        await forgetLink("removed");
        return;
      } else if (response.status === 403) {
        await set({ linkState: "not_supervised", policy: null, etag: null });
        await enforce();
        await sleep(30_000);
      } else {
        const retry = Number(response.headers.get("Retry-After")) || 5;
        await sleep(retry * 1000);
      }
    }
  } finally {
    polling = false;
  }
}

async function policyReceived(policy, etag) {
  await set({ policy, etag, policyAt: Date.now(), linkState: "linked" });
  await enforce();
  await timeRequestsFollow();
  await notifyWarnings();
  api("/api/v1/device/policy/ack", { method: "POST", body: { version: policy.version } }).catch(
    () => {},
  );
}

/** The "N minutes left" warnings due and not shown yet today, as one notification. */
async function notifyWarnings() {
  const { policy, shownWarnings } = await get(["policy", "shownWarnings"]);
  const due = newWarnings(policy, shownWarnings);
  if (!due.length) return;
  await set({ shownWarnings: warningsShown(policy, shownWarnings, due) });
  if (!policy.allowed) return; // the block page says it already
  const minutes = Math.min(...due);
  chrome.notifications.create(`warning-${policy.local_date}-${minutes}`, {
    type: "basic",
    iconUrl: "icons/icon128.png",
    title: "Family Pairing",
    message: `${minutes} minute${minutes === 1 ? "" : "s"} of screen time left today.`,
    priority: 1,
  });
}

/** Read the time requests again when the policy says they changed (and until a read works). */
async function timeRequestsFollow() {
  const { policy, timeRequestsVersion } = await get(["policy", "timeRequestsVersion"]);
  if (policy && policy.time_requests_version !== timeRequestsVersion) {
    await loadTimeRequests(policy.time_requests_version);
  }
}

async function loadTimeRequests(version) {
  try {
    const response = await api("/api/v1/device/time-requests");
    if (response.status !== 200) return;
    const list = (await json(response)) ?? [];
    const { timeRequests: before = [] } = await get("timeRequests");
    const was = new Map(before.map((item) => [item.id, item.status]));
    for (const item of list) {
      if (was.get(item.id) === "pending" && item.status !== "pending") {
        const who = item.answered_by?.display_name || item.answered_by?.name || "Your guardian";
        chrome.notifications.create(`request-${item.id}`, {
          type: "basic",
          iconUrl: "icons/icon128.png",
          title: "Family Pairing",
          message:
            item.status === "approved"
              ? `${who} said yes: more time today.`
              : `${who} answered your request: ${item.status}.`,
        });
      }
    }
    const values = { timeRequests: list };
    if (version !== undefined) values.timeRequestsVersion = version;
    await set(values);
  } catch {
    // offline: the list is read again when the channel says it changed
  }
}

// --- enforcement --------------------------------------------------------------------------------

// Tab id → [address, when] of the last move to the block page: the rules, the title check and
// the open-page sweep may all see the same page at once; one move is enough.
const moved = new Map();
function moveToBlockPage(tabId, url, verdict) {
  const last = moved.get(tabId);
  if (last && last[0] === url && Date.now() - last[1] < 3000) return Promise.resolve();
  moved.set(tabId, [url, Date.now()]);
  return chrome.tabs.update(tabId, { url: blockUrl(verdict.reason, url, verdict.keyword) }).catch(() => {});
}

function blockUrl(reason, url, keyword) {
  const extra = keyword ? `&kw=${encodeURIComponent(keyword)}` : "";
  return `${BLOCK_PAGE}?why=${reason}${extra}#${url}`;
}

let lastRules = "";
/** Install the rules for the policy as it stands now, the badge, and move open pages that must
 * not show to the block page. */
function enforce() {
  return locked(async () => {
    const { policy, server, pending = [], segment } = await get([
      "policy",
      "server",
      "pending",
      "segment",
    ]);
    const now = Date.now();
    const allowed = alwaysAllowedSites(policy);
    let unreported = countedSeconds(pending, allowed);
    if (segment && segment.app !== null) {
      unreported += countedSeconds(
        [{ app: segment.app, seconds: Math.max(0, Math.round((now - segment.startMs) / 1000)) }],
        allowed,
      );
    }
    const state = effectiveState(policy, now, unreported);
    const serverHost = server ? new URL(server).hostname : null;
    const rules = buildRules(policy, state, { serverHost, blockPage: BLOCK_PAGE });
    const key = JSON.stringify(rules);
    if (key !== lastRules) {
      const existing = await chrome.declarativeNetRequest.getDynamicRules();
      await chrome.declarativeNetRequest.updateDynamicRules({
        removeRuleIds: existing.map((rule) => rule.id),
        addRules: rules,
      });
      lastRules = key;
    }
    await set({ state: { ...state, at: now } });
    const shown = badge(state);
    await chrome.action.setBadgeText({ text: policy ? shown.text : "" });
    await chrome.action.setBadgeBackgroundColor({ color: shown.color });
    const tabs = await chrome.tabs.query({});
    for (const tab of tabs) {
      const verdict = tab.url ? pageBlockReason(policy, state, tab.url, tab.title, { serverHost }) : null;
      if (verdict) void moveToBlockPage(tab.id, tab.url, verdict);
    }
  });
}

/** Titles are seen only once a page has loaded: a keyword in the title blocks it then. */
async function checkTab(tabId, tab) {
  const { policy, server, state } = await get(["policy", "server", "state"]);
  if (!policy || !tab.url) return;
  const serverHost = server ? new URL(server).hostname : null;
  const verdict = pageBlockReason(policy, state ?? { allowed: true }, tab.url, tab.title, {
    serverHost,
  });
  if (verdict) await moveToBlockPage(tabId, tab.url, verdict);
}

// --- heartbeat and who supervises --------------------------------------------------------------

async function heartbeat() {
  const { token, policy } = await get(["token", "policy"]);
  if (!token) return;
  const self = await chrome.management.getSelf();
  const incognito = await chrome.extension.isAllowedIncognitoAccess();
  try {
    const response = await api("/api/v1/device/heartbeat", {
      method: "POST",
      body: {
        applied_version: policy?.version ?? "",
        client_version: `chromium-extension/${CLIENT_VERSION}`,
        install_type: self.installType,
        may_disable: self.mayDisable,
        incognito_allowed: incognito,
        device_time: new Date().toISOString(),
      },
    });
    if (response.status === 200) {
      const answer = await json(response);
      if (answer?.removed_url) {
        await set({ removedUrl: answer.removed_url, tamperSignals: answer.tamper_signals ?? [] });
        chrome.runtime.setUninstallURL(answer.removed_url);
      }
    } else if (response.status === 401) {
      await forgetLink("removed");
    }
    const about = await api("/api/v1/device/about");
    if (about.status === 200) await set({ about: await json(about) });
  } catch {
    // offline: the next beat tells
  }
}

/** Linked: say how this browser is installed, then hold the change channel. */
async function whenLinked() {
  await heartbeat();
  void pollLoop();
}

// --- asking for more time -----------------------------------------------------------------------

async function askForTime(minutes, reason) {
  const response = await api("/api/v1/device/time-requests", {
    method: "POST",
    body: { minutes, reason },
  });
  const body = await json(response);
  if (response.status !== 201) {
    const firstError = body && Object.values(body).flat()[0];
    return { ok: false, error: typeof firstError === "string" ? firstError : `Error ${response.status}` };
  }
  await loadTimeRequests();
  return { ok: true, request: body };
}

// --- wiring -------------------------------------------------------------------------------------

let fastTimer = null;
async function schedule() {
  const { reportSeconds, heartbeatSeconds } = await config();
  await chrome.alarms.create("tick", { periodInMinutes: Math.max(0.5, reportSeconds / 60) });
  await chrome.alarms.create("heartbeat", { periodInMinutes: Math.max(1, heartbeatSeconds / 60) });
  // A report interval under the alarms' 30 s floor (set in storage, for tests) runs on a timer
  // while the worker is awake; the alarm still wakes it when it was stopped.
  if (fastTimer) clearInterval(fastTimer);
  fastTimer = reportSeconds < 30 ? setInterval(() => void tick(), reportSeconds * 1000) : null;
}

chrome.alarms.onAlarm.addListener((alarm) => {
  if (alarm.name === "tick") void tick();
  if (alarm.name === "heartbeat") void heartbeat();
});
chrome.tabs.onActivated.addListener(() => void track());
chrome.tabs.onUpdated.addListener((tabId, change, tab) => {
  if (change.url || change.status === "complete") void track();
  if (change.title || change.url) void checkTab(tabId, tab);
});
chrome.tabs.onRemoved.addListener((tabId) => {
  moved.delete(tabId);
  void track();
});
chrome.windows.onFocusChanged.addListener(() => void track());
chrome.idle.setDetectionInterval(IDLE_SECONDS);
chrome.idle.onStateChanged.addListener(() => void track());
chrome.storage.onChanged.addListener((changes, area) => {
  if (area === "local" && changes.config) void schedule();
});
chrome.runtime.onMessage.addListener((message, _sender, reply) => {
  const handlers = {
    link: () => linkStart(message.server, whenLinked).then(() => ({ ok: true })),
    ask: () => askForTime(message.minutes, message.reason),
    refresh: () => tick().then(() => ({ ok: true })),
  };
  const handler = handlers[message?.type];
  if (!handler) return false;
  handler()
    .then(reply)
    .catch((error) => reply({ ok: false, error: String(error?.message ?? error) }));
  return true; // the answer comes later
});
chrome.runtime.onStartup.addListener(() => void heartbeat());
chrome.runtime.onInstalled.addListener(async (details) => {
  if (details.reason === "install") {
    const { token } = await get("token");
    if (!token) chrome.runtime.openOptionsPage();
  }
});

// Each time the worker starts: the timers, the rules as stored, the channel, a first look.
void (async () => {
  await schedule();
  const { removedUrl, enrolment } = await get(["removedUrl", "enrolment"]);
  if (removedUrl) chrome.runtime.setUninstallURL(removedUrl);
  await enforce();
  void track();
  void pollLoop();
  if (enrolment) void linkPoll(whenLinked);
})();

