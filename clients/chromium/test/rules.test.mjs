import assert from "node:assert/strict";
import { test } from "node:test";

import { buildRules, keywordHit, keywordPattern, pageBlockReason } from "../lib/rules.js";

const BLOCK = "chrome-extension://id/block.html";
const OPTIONS = { serverHost: "family.example", blockPage: BLOCK };
const policy = (browsing = {}, always = []) => ({
  browsing: { domain_mode: "block", domains: [], keyword_filters: [], restricted_mode: false, search_enabled: true, ...browsing },
  privacy: { always_allowed_apps: always },
});
const ALLOWED = { allowed: true, reason: "ok" };
const LIMIT = { allowed: false, reason: "daily_limit" };

/** What a rule set does to a URL, the way declarativeNetRequest picks: the highest priority. */
function decide(rules, url) {
  const host = new URL(url).hostname;
  const onDomains = (list) => list?.some((d) => host === d || host.endsWith(`.${d}`));
  const matching = rules.filter(({ condition: c }) => {
    if (c.requestDomains && !onDomains(c.requestDomains)) return false;
    if (c.excludedRequestDomains && onDomains(c.excludedRequestDomains)) return false;
    if (c.regexFilter && !new RegExp(c.regexFilter, c.isUrlFilterCaseSensitive === false ? "i" : "").test(url)) return false;
    if (c.urlFilter && !url.includes(c.urlFilter)) return false;
    return true;
  });
  matching.sort((a, b) => b.priority - a.priority);
  const top = matching[0];
  if (!top) return "open";
  if (top.action.type === "allow") return "open";
  if (top.action.redirect?.regexSubstitution) {
    return new URL(top.action.redirect.regexSubstitution.replace("#\\0", "")).searchParams.get("why");
  }
  return top.action.type;
}

test("every rule names its resource types (else main_frame, the page itself, is left out)", () => {
  const rules = buildRules(policy({ restricted_mode: true, domains: ["a.example"], keyword_filters: ["x"] }), LIMIT, OPTIONS);
  for (const rule of rules) assert.ok(rule.condition.resourceTypes?.includes("main_frame"), JSON.stringify(rule));
});

test("the server is always reachable, even when nothing else is", () => {
  const rules = buildRules(policy(), LIMIT, OPTIONS);
  assert.equal(decide(rules, "https://family.example/me/"), "open");
  assert.equal(decide(rules, "https://video.example/"), "daily_limit");
});

test("when not allowed, always-allowed sites stay open", () => {
  const rules = buildRules(policy({}, ["web:school.example"]), LIMIT, OPTIONS);
  assert.equal(decide(rules, "https://www.school.example/lesson"), "open");
  assert.equal(decide(rules, "https://game.example/"), "daily_limit");
});

test("the block list blocks the site and its subdomains; a wildcard only subdomains", () => {
  const rules = buildRules(policy({ domains: ["game.example", "*.chat.example"] }), ALLOWED, OPTIONS);
  assert.equal(decide(rules, "https://play.game.example/x"), "blocked_site");
  assert.equal(decide(rules, "https://a.chat.example:8080/"), "blocked_site");
  assert.equal(decide(rules, "https://chat.example/"), "open");
  assert.equal(decide(rules, "https://news.example/"), "open");
});

test("allow-only opens the listed sites and the server only", () => {
  const rules = buildRules(policy({ domain_mode: "allow_only", domains: ["school.example"] }), ALLOWED, OPTIONS);
  assert.equal(decide(rules, "https://www.school.example/"), "open");
  assert.equal(decide(rules, "https://family.example/"), "open");
  assert.equal(decide(rules, "https://game.example/"), "allow_only");
});

test("a keyword in the address blocks the page, whatever the case or the word joiner", () => {
  const rules = buildRules(policy({ keyword_filters: ["dragon fight"] }), ALLOWED, OPTIONS);
  assert.equal(decide(rules, "https://news.example/search?q=Dragon+Fight"), "keyword");
  assert.equal(decide(rules, "https://news.example/dragon-fight"), "keyword");
  assert.equal(decide(rules, "https://news.example/dragon%20fight"), "keyword");
  assert.equal(decide(rules, "https://news.example/dragon"), "open");
  assert.equal(keywordPattern("a.b"), "a\\.b");
  assert.equal(keywordHit(["dragon fight"], "https://x.example/", "A DRAGON  fight!"), "dragon fight");
  assert.equal(keywordHit(["dragon"], "https://x.example/", "Nothing"), null);
});

test("restricted mode: SafeSearch parameters and YouTube's header", () => {
  const rules = buildRules(policy({ restricted_mode: true }), ALLOWED, OPTIONS);
  const find = (domain) => rules.find((r) => r.condition.requestDomains?.includes(domain));
  const param = (rule) => rule.action.redirect.transform.queryTransform.addOrReplaceParams[0];
  assert.deepEqual(param(find("google.com")), { key: "safe", value: "active" });
  assert.deepEqual(param(find("bing.com")), { key: "adlt", value: "strict" });
  assert.deepEqual(param(find("duckduckgo.com")), { key: "kp", value: "1" });
  assert.deepEqual(find("youtube.com").action.requestHeaders, [
    { header: "YouTube-Restrict", operation: "set", value: "Strict" },
  ]);
  assert.equal(buildRules(policy(), ALLOWED, OPTIONS).length, 1); // off: the server's rule only
});

test("search off blocks result pages, not the engines' home pages", () => {
  const rules = buildRules(policy({ search_enabled: false }), ALLOWED, OPTIONS);
  assert.equal(decide(rules, "https://www.google.com/search?q=x"), "search_off");
  assert.equal(decide(rules, "https://www.google.com/"), "open");
  assert.equal(decide(rules, "https://duckduckgo.com/?q=x"), "search_off");
});

test("rule ids are unique and every redirect goes to the block page with the address", () => {
  const rules = buildRules(
    policy({ domains: ["a.example", "*.b.example"], keyword_filters: ["x", "y"], restricted_mode: true, search_enabled: false }),
    LIMIT,
    OPTIONS,
  );
  assert.equal(new Set(rules.map((r) => r.id)).size, rules.length);
  for (const rule of rules.filter((r) => r.action.redirect?.regexSubstitution)) {
    assert.ok(rule.action.redirect.regexSubstitution.startsWith(`${BLOCK}?why=`));
    assert.ok(rule.action.redirect.regexSubstitution.endsWith("#\\0"));
    assert.ok(rule.condition.regexFilter.startsWith("^") && rule.condition.regexFilter.endsWith("$"));
  }
});

test("open pages: the same decisions, in the rules' order", () => {
  const p = policy({ domains: ["game.example"], keyword_filters: ["dragon"] }, ["web:school.example"]);
  assert.deepEqual(pageBlockReason(p, ALLOWED, "https://game.example/", ""), { reason: "blocked_site" });
  assert.deepEqual(pageBlockReason(p, ALLOWED, "https://news.example/", "Dragon news"), { reason: "keyword", keyword: "dragon" });
  assert.deepEqual(pageBlockReason(p, LIMIT, "https://news.example/", ""), { reason: "daily_limit" });
  assert.equal(pageBlockReason(p, LIMIT, "https://school.example/", ""), null);
  assert.equal(pageBlockReason(p, LIMIT, "https://family.example/me/", "", { serverHost: "family.example" }), null);
  assert.equal(pageBlockReason(p, LIMIT, "chrome://settings", ""), null);
  const only = policy({ domain_mode: "allow_only", domains: ["school.example"] });
  assert.deepEqual(pageBlockReason(only, ALLOWED, "https://game.example/", ""), { reason: "allow_only" });
  assert.equal(pageBlockReason(only, ALLOWED, "https://www.school.example/", ""), null);
});

test("app and category rules close their sites; an app's own rule wins over its category's", () => {
  const withRules = {
    ...policy(),
    app_rules: [
      { target: "category", category: "video", allowed: false, reason: "category_limit", identifiers: ["web:video.example", "web:tube.example"] },
      { target: "app", app: "tube", allowed: true, reason: "always_allowed", identifiers: ["com.tube.android", "web:tube.example"] },
      { target: "app", app: "games", allowed: false, reason: "blocked", identifiers: ["web:games.example"] },
      { target: "app", app: "maps", allowed: true, reason: "ok", identifiers: ["web:maps.example"] },
    ],
  };
  const rules = buildRules(withRules, ALLOWED, OPTIONS);
  assert.equal(decide(rules, "https://www.video.example/watch"), "app_limit");
  assert.equal(decide(rules, "https://games.example/"), "app_blocked");
  assert.equal(decide(rules, "https://tube.example/"), "open"); // always allowed, in a closed category
  assert.equal(decide(rules, "https://maps.example/"), "open");
  assert.equal(decide(rules, "https://family.example/"), "open"); // the server itself, always
  // Pages already open are judged the same way.
  assert.deepEqual(pageBlockReason(withRules, ALLOWED, "https://m.video.example/", ""), { reason: "app_limit" });
  assert.equal(pageBlockReason(withRules, ALLOWED, "https://tube.example/", ""), null);
  // A site on the blocked list is still "blocked_site", whatever its app's rule says.
  const listed = { ...withRules, browsing: { ...withRules.browsing, domains: ["maps.example"] } };
  assert.equal(decide(buildRules(listed, ALLOWED, OPTIONS), "https://maps.example/"), "blocked_site");
});

test("a lock of one category closes its sites, with or without a rule, but not an always-allowed app", () => {
  const locked = {
    ...policy(),
    category_locks: [{ category: "games", until: null, by: "Alice", sites: ["web:games.example", "web:chess.example"] }],
    app_rules: [{ target: "app", app: "chess", allowed: true, reason: "always_allowed", identifiers: ["web:chess.example"] }],
  };
  const rules = buildRules(locked, ALLOWED, OPTIONS);
  assert.equal(decide(rules, "https://play.games.example/"), "category_locked");
  assert.equal(decide(rules, "https://chess.example/"), "open");
  assert.equal(decide(rules, "https://news.example/"), "open");
  assert.deepEqual(pageBlockReason(locked, ALLOWED, "https://games.example/", ""), { reason: "category_locked" });
});
