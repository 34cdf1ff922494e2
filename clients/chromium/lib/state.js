// What the browser does right now, from the last policy the server sent and the time used on
// this device since (pure). The server decides; this only carries its decision forward between
// two answers and while offline, as the policy's `offline_valid_until` documents.

export const REASONS = {
  ok: "ok",
  daily_limit: "daily_limit",
  downtime: "downtime",
  offline_expired: "offline_expired",
  blocked_site: "blocked_site",
  allow_only: "allow_only",
  keyword: "keyword",
  search_off: "search_off",
  locked: "locked",
  app_blocked: "app_blocked",
  app_limit: "app_limit",
  category_locked: "category_locked",
};

const ms = (iso) => (iso ? Date.parse(iso) : NaN);

/** The downtime window in force at `nowMs` from the policy's own list, or null. */
export function downtimeAt(policy, nowMs) {
  for (const window of policy?.downtime_next_48h ?? []) {
    if (ms(window.start) <= nowMs && nowMs < ms(window.end)) return window;
  }
  return null;
}

/**
 * {allowed, reason, secondsLeft, opensAt (ms or null), downtimeName}
 * `usedSince`: seconds counted on this device since the policy was received (not yet in it).
 */
export function effectiveState(policy, nowMs, usedSince = 0) {
  if (!policy) return { allowed: true, reason: REASONS.ok, secondsLeft: null, opensAt: null };
  if (nowMs > ms(policy.offline_valid_until)) {
    return { allowed: false, reason: REASONS.offline_expired, secondsLeft: 0, opensAt: null };
  }
  let dayOver = nowMs >= ms(policy.day_end_utc);
  // A new day: a fresh quota of today's limit (grants were for the day that ended).
  let secondsLeft =
    policy.seconds_left === null
      ? null
      : dayOver
        ? policy.limit_seconds
        : Math.max(0, policy.seconds_left - usedSince);
  const window = downtimeAt(policy, nowMs);
  if (window) {
    return {
      allowed: false,
      reason: REASONS.downtime,
      secondsLeft,
      opensAt: ms(window.end),
      downtimeName: window.name,
    };
  }
  if (!dayOver && policy.reason === "downtime" && !policy.allowed) {
    // The server says downtime and its list has no window now: trust the server until it ends.
    const opens = ms(policy.next_change_at);
    if (!(opens <= nowMs)) {
      return {
        allowed: false,
        reason: REASONS.downtime,
        secondsLeft,
        opensAt: Number.isNaN(opens) ? null : opens,
        downtimeName: policy.downtime_name,
      };
    }
  }
  if (policy.reason === "locked" && !policy.allowed) {
    // Lock now (all devices): until its end, or until a guardian unlocks (a new policy).
    const until = ms(policy.lock?.until);
    if (!(until <= nowMs)) {
      return {
        allowed: false,
        reason: REASONS.locked,
        secondsLeft,
        opensAt: Number.isNaN(until) ? null : until,
        lockBy: policy.lock?.by ?? "",
      };
    }
  }
  if (secondsLeft !== null && secondsLeft <= 0) {
    return {
      allowed: false,
      reason: REASONS.daily_limit,
      secondsLeft: 0,
      opensAt: ms(policy.day_end_utc),
    };
  }
  return { allowed: true, reason: REASONS.ok, secondsLeft, opensAt: null };
}

/** Time left in words, rounded down like the site does ("1 h 5 min", "4 min", "under a minute"). */
export function durationWords(seconds) {
  if (seconds === null || seconds === undefined) return "No limit today";
  const minutes = Math.floor(seconds / 60);
  if (minutes <= 0) return seconds > 0 ? "Under a minute" : "No time left";
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (!hours) return `${minutes} min`;
  return rest ? `${hours} h ${rest} min` : `${hours} h`;
}

/** The toolbar badge: minutes left ("45", "2h"), "0" when nothing is left, "" without a limit. */
export function badge(state) {
  if (!state.allowed) return { text: "0", color: "#b3261e" };
  if (state.secondsLeft === null) return { text: "", color: "#1b6e3a" };
  const minutes = Math.floor(state.secondsLeft / 60);
  const text = minutes >= 100 ? `${Math.floor(minutes / 60)}h` : String(minutes);
  return { text, color: minutes < 5 ? "#b3261e" : minutes < 15 ? "#8a5300" : "#1b6e3a" };
}

/** Why a page is blocked, in words the teen reads. */
export function whyWords(reason, { downtimeName, keyword, lockBy } = {}) {
  switch (reason) {
    case REASONS.locked:
      return lockBy ? `${lockBy} locked your devices for now.` : "Your devices are locked for now.";
    case REASONS.category_locked:
      return "Apps and sites of this kind are locked for now.";
    case REASONS.app_blocked:
      return "Your guardian blocked this app or site.";
    case REASONS.app_limit:
      return "Today's time for this app or its category is used up.";
    case REASONS.daily_limit:
      return "Today's screen time is used up.";
    case REASONS.downtime:
      return downtimeName ? `It is downtime (${downtimeName}).` : "It is downtime.";
    case REASONS.offline_expired:
      return "This browser has not reached Family Pairing for a day, so it stays closed until it does.";
    case REASONS.blocked_site:
      return "This site is on your blocked list.";
    case REASONS.allow_only:
      return "Only the sites on your allowed list can be opened.";
    case REASONS.keyword:
      return keyword ? `This page has a blocked word: “${keyword}”.` : "This page has a blocked word.";
    case REASONS.search_off:
      return "Web search is turned off.";
    default:
      return "This page is blocked.";
  }
}

/** Does asking for more time help with this reason? (Not for downtime: grants never lift it.) */
export function timeCanHelp(reason) {
  return reason === REASONS.daily_limit;
}

/** "Set by Alice", "Set by Alice and Bob", "Set by Alice, Bob and Carol". */
export function namesWords(names, lead = "Set by") {
  if (!names || !names.length) return "";
  if (names.length === 1) return `${lead} ${names[0]}`;
  return `${lead} ${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

/** The "N minutes left" warnings due and not yet shown today: [minutes…]. */
export function newWarnings(policy, shown) {
  if (!policy) return [];
  const already = shown?.date === policy.local_date ? new Set(shown.minutes) : new Set();
  return (policy.warnings_due ?? []).filter((minutes) => !already.has(minutes));
}

/** The record of shown warnings after showing `minutes`. */
export function warningsShown(policy, shown, minutes) {
  const base = shown?.date === policy.local_date ? shown.minutes : [];
  return { date: policy.local_date, minutes: [...new Set([...base, ...minutes])] };
}

function sameDate(a, b) {
  return a.toDateString() === b.toDateString();
}

/** "Opens again at 18:30" today, "… tomorrow at 07:00", or "… on Friday at 07:00", in the
 * browser's time zone and language. */
export function opensWords(opensAtMs, nowMs, locale = undefined) {
  if (!opensAtMs || Number.isNaN(opensAtMs)) return "";
  const at = new Date(opensAtMs);
  const midnight = at.getHours() === 0 && at.getMinutes() === 0;
  const time = midnight ? "midnight" : at.toLocaleTimeString(locale, { hour: "2-digit", minute: "2-digit" });
  if (midnight && sameDate(at, new Date(nowMs + 24 * 3600 * 1000)) && at.getTime() - nowMs <= 24 * 3600 * 1000) {
    return "Opens again at midnight";
  }
  const today = new Date(nowMs);
  const tomorrow = new Date(nowMs);
  tomorrow.setDate(tomorrow.getDate() + 1);
  if (today.toDateString() === at.toDateString()) return `Opens again at ${time}`;
  if (tomorrow.toDateString() === at.toDateString()) return `Opens again tomorrow at ${time}`;
  return `Opens again on ${at.toLocaleDateString(locale, { weekday: "long" })} at ${time}`;
}
