// The policy as declarativeNetRequest dynamic rules (pure: the service worker installs them
// with chrome.declarativeNetRequest.updateDynamicRules).
//
// A blocked page is redirected to the extension's block page, `block.html?why=<reason>#<url>`
// (the address that was blocked rides in the fragment, so the page can go back to it when it
// opens again). The server's own site is never blocked: the teen must reach their page.
//
// Restricted mode, as each service documents it for schools and families:
// - Google: the `safe=active` parameter on search (support.google.com/websearch/answer/186669)
// - Bing: `adlt=strict` on search (Bing's SafeSearch parameter)
// - DuckDuckGo: `kp=1` (strict safe search, duckduckgo.com/duckduckgo-help-pages/settings/params)
// - YouTube: the `YouTube-Restrict: Strict` request header (support.google.com/a/answer/6214622)

import { alwaysAllowedSites, hostMatchesRule, webHost } from "./domain.js";

export const PRIORITY = {
  server: 1000,
  keyword: 300,
  blockedSite: 250,
  searchOff: 240,
  appRule: 220,
  notAllowed: 200,
  allowOnly: 150,
  restricted: 100,
};

const PAGES = ["main_frame", "sub_frame"];
const SEARCH_TYPES = ["main_frame", "sub_frame", "xmlhttprequest"];
// A condition without resourceTypes matches everything *but* main_frame: rules meant for whole
// pages too must name every type.
export const ALL_TYPES = [
  "main_frame", "sub_frame", "stylesheet", "script", "image", "font", "object",
  "xmlhttprequest", "ping", "csp_report", "media", "websocket", "webtransport", "webbundle", "other",
];

export const GOOGLE_DOMAINS = [
  "google.com", "google.co.uk", "google.de", "google.fr", "google.es", "google.it",
  "google.nl", "google.be", "google.ie", "google.ca", "google.com.au", "google.co.nz",
  "google.ch", "google.at", "google.pl", "google.se", "google.no", "google.dk", "google.fi",
  "google.pt", "google.co.in", "google.com.br", "google.com.mx", "google.co.jp",
];
export const YOUTUBE_DOMAINS = [
  "youtube.com", "m.youtube.com", "youtubei.googleapis.com", "youtube.googleapis.com",
  "www.youtube-nocookie.com",
];

function escapeRegex(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A keyword as a URL regex part: spaces may be written %20, + , - or _ in addresses. */
export function keywordPattern(keyword) {
  return keyword
    .trim()
    .split(/\s+/)
    .map((word) => escapeRegex(encodeURIComponent(word).toLowerCase()))
    .join("(?:%20|\\+|-|_|\\s)");
}

/** Does the URL or the title of a page contain one of the keywords? The keyword, or null. */
export function keywordHit(keywords, url, title) {
  const haystacks = [String(title ?? "").toLowerCase()];
  try {
    haystacks.push(decodeURIComponent(String(url ?? "")).toLowerCase().replace(/[+\-_]/g, " "));
  } catch {
    haystacks.push(String(url ?? "").toLowerCase().replace(/[+\-_]/g, " "));
  }
  for (const keyword of keywords ?? []) {
    const needle = keyword.toLowerCase().trim().replace(/\s+/g, " ");
    if (needle && haystacks.some((text) => text.replace(/\s+/g, " ").includes(needle))) {
      return keyword;
    }
  }
  return null;
}

/** The plain names of site rules (`*.example.com` → `example.com`), for domain lists. */
function plainDomains(domains) {
  return [...new Set(domains.map((domain) => domain.replace(/^\*\./, "")))];
}

function redirectTo(blockPage, reason, extra = "") {
  return {
    type: "redirect",
    redirect: { regexSubstitution: `${blockPage}?why=${reason}${extra}#\\0` },
  };
}

const ANY_PAGE = "^https?://.*$";

/**
 * The dynamic rules for a policy and a state ({allowed, reason}: from lib/state.js).
 * `serverHost`: the server's host name; `blockPage`: chrome.runtime.getURL("block.html").
 */
/** The extension's reason for a site closed by an app or category rule (the server's words). */
const RULE_REASONS = {
  blocked: "app_blocked",
  app_limit: "app_limit",
  category_limit: "app_limit",
  locked: "category_locked", // (a lock of all devices closes everything: see buildRules)
  downtime: "downtime",
  daily_limit: "daily_limit",
};

const webDomains = (identifiers) =>
  (identifiers ?? [])
    .map((id) => String(id).toLowerCase())
    .filter((id) => id.startsWith("web:"))
    .map((id) => id.slice(4));

/**
 * Sites an app or category rule closes now (issue 13), as a Map domain → reason: the web
 * domains of every rule the policy says is not allowed, less those of an app whose own rule
 * allows it (an app's own rule wins over its category's).
 */
export function ruleClosedSites(policy) {
  const results = policy?.app_rules ?? [];
  const open = new Set(results.filter((r) => r.target === "app" && r.allowed).flatMap((r) => webDomains(r.identifiers)));
  const closed = new Map();
  // A lock of one category closes its sites, with or without a rule for it.
  for (const lock of policy?.category_locks ?? []) {
    for (const domain of webDomains(lock.sites)) {
      if (!open.has(domain)) closed.set(domain, "category_locked");
    }
  }
  // Categories first, so that an app's own rule has the last word on its domains.
  for (const rule of [...results].sort((a, b) => (a.target === "app") - (b.target === "app"))) {
    if (rule.allowed) continue;
    for (const domain of webDomains(rule.identifiers)) {
      if (open.has(domain)) continue;
      const reason = rule.reason === "locked" && policy.reason === "locked" ? "locked" : RULE_REASONS[rule.reason];
      closed.set(domain, reason ?? "app_blocked");
    }
  }
  return closed;
}

export function buildRules(policy, state, { serverHost, blockPage }) {
  const rules = [];
  let id = 1;
  const add = (rule) => rules.push({ id: id++, ...rule });
  if (serverHost) {
    add({
      priority: PRIORITY.server,
      action: { type: "allow" },
      condition: { requestDomains: [serverHost], resourceTypes: ALL_TYPES },
    });
  }
  if (!policy) return rules;
  const browsing = policy.browsing ?? {};
  const domains = browsing.domains ?? [];
  const always = (policy.privacy?.always_allowed_apps ?? [])
    .map((app) => String(app).toLowerCase())
    .filter((app) => app.startsWith("web:"))
    .map((app) => app.slice(4));

  if (!state.allowed) {
    const condition = { regexFilter: ANY_PAGE, resourceTypes: PAGES };
    if (always.length) condition.excludedRequestDomains = always;
    add({
      priority: PRIORITY.notAllowed,
      action: redirectTo(blockPage, state.reason),
      condition,
    });
  }

  const byReason = new Map();
  for (const [domain, reason] of ruleClosedSites(policy)) {
    byReason.set(reason, [...(byReason.get(reason) ?? []), domain]);
  }
  for (const [reason, requestDomains] of byReason) {
    add({
      priority: PRIORITY.appRule,
      action: redirectTo(blockPage, reason),
      condition: { regexFilter: ANY_PAGE, requestDomains, resourceTypes: PAGES },
    });
  }

  if (browsing.domain_mode === "allow_only") {
    const condition = { regexFilter: ANY_PAGE, resourceTypes: PAGES };
    const open = plainDomains(domains).concat(always);
    if (open.length) condition.excludedRequestDomains = open;
    add({ priority: PRIORITY.allowOnly, action: redirectTo(blockPage, "allow_only"), condition });
  } else if (domains.length) {
    const plain = domains.filter((domain) => !domain.startsWith("*."));
    if (plain.length) {
      add({
        priority: PRIORITY.blockedSite,
        action: redirectTo(blockPage, "blocked_site"),
        condition: { regexFilter: ANY_PAGE, requestDomains: plain, resourceTypes: PAGES },
      });
    }
    for (const wildcard of domains.filter((domain) => domain.startsWith("*."))) {
      add({
        priority: PRIORITY.blockedSite,
        action: redirectTo(blockPage, "blocked_site"),
        condition: {
          regexFilter: `^https?://[^/?#]+\\.${escapeRegex(wildcard.slice(2))}(?::\\d+)?(?:[/?#].*)?$`,
          resourceTypes: PAGES,
        },
      });
    }
  }

  (browsing.keyword_filters ?? []).forEach((keyword, index) => {
    const pattern = keywordPattern(keyword);
    if (!pattern) return;
    add({
      priority: PRIORITY.keyword,
      action: redirectTo(blockPage, "keyword", `&k=${index}`),
      condition: {
        regexFilter: `^https?://.*${pattern}.*$`,
        isUrlFilterCaseSensitive: false,
        resourceTypes: PAGES,
      },
    });
  });

  if (browsing.search_enabled === false) {
    for (const [requestDomains, regexFilter] of [
      [GOOGLE_DOMAINS, "^https?://[^/]+/search\\?.*$"],
      [["bing.com"], "^https?://[^/]+/search\\?.*$"],
      [["duckduckgo.com"], "^https?://[^/]+/(?:html/?|lite/?)?\\?(?:.*&)?q=.*$"],
    ]) {
      add({
        priority: PRIORITY.searchOff,
        action: redirectTo(blockPage, "search_off"),
        condition: { regexFilter, requestDomains, resourceTypes: PAGES },
      });
    }
  }

  if (browsing.restricted_mode) {
    const param = (key, value) => ({
      type: "redirect",
      redirect: {
        transform: { queryTransform: { addOrReplaceParams: [{ key, value }] } },
      },
    });
    add({
      priority: PRIORITY.restricted,
      action: param("safe", "active"),
      condition: { urlFilter: "/search?", requestDomains: GOOGLE_DOMAINS, resourceTypes: SEARCH_TYPES },
    });
    add({
      priority: PRIORITY.restricted,
      action: param("adlt", "strict"),
      condition: { urlFilter: "/search?", requestDomains: ["bing.com"], resourceTypes: SEARCH_TYPES },
    });
    add({
      priority: PRIORITY.restricted,
      action: param("kp", "1"),
      condition: { urlFilter: "q=", requestDomains: ["duckduckgo.com"], resourceTypes: SEARCH_TYPES },
    });
    add({
      priority: PRIORITY.restricted,
      action: {
        type: "modifyHeaders",
        requestHeaders: [{ header: "YouTube-Restrict", operation: "set", value: "Strict" }],
      },
      condition: { requestDomains: YOUTUBE_DOMAINS, resourceTypes: ALL_TYPES },
    });
  }
  return rules;
}

/**
 * Why the page at `url` (with `title`) must not show now, or null: {reason, keyword?}. The
 * same decisions as the rules above, for pages already open when the policy changes and for
 * titles (which no network rule can see). The order is the rules' priority order.
 */
export function pageBlockReason(policy, state, url, title, { serverHost } = {}) {
  const host = webHost(url);
  if (!host) return null;
  if (serverHost && hostMatchesRule(host, serverHost)) return null;
  if (!policy) return null;
  const browsing = policy.browsing ?? {};
  const keyword = keywordHit(browsing.keyword_filters, url, title);
  if (keyword) return { reason: "keyword", keyword };
  const domains = browsing.domains ?? [];
  const listed = domains.some((rule) => hostMatchesRule(host, rule));
  const always = alwaysAllowedSites(policy).some((site) => hostMatchesRule(host, site));
  if (browsing.domain_mode !== "allow_only" && listed) return { reason: "blocked_site" };
  for (const [domain, reason] of ruleClosedSites(policy)) {
    if (hostMatchesRule(host, domain)) return { reason };
  }
  if (!state.allowed && !always) return { reason: state.reason };
  if (browsing.domain_mode === "allow_only" && !listed && !always) return { reason: "allow_only" };
  return null;
}
