// Sites as the server counts them: `web:<registrable domain>` (see the usage API's `app`).
// No chrome.* here: unit-tested with `node --test`.
//
// The server normalises by the full Public Suffix List (controls.usage.sites), so the client
// only has to send a name inside the right site; this short list of the common multi-label
// public suffixes keeps per-site time split right on the device's side too (bbc.co.uk, not
// co.uk). A suffix not listed here still books correctly: the server takes the registrable part.

const MULTI_LABEL_SUFFIXES = new Set([
  "co.uk", "org.uk", "ac.uk", "gov.uk", "me.uk", "net.uk", "sch.uk", "ltd.uk", "plc.uk",
  "com.au", "net.au", "org.au", "edu.au", "gov.au", "co.nz", "org.nz", "net.nz",
  "co.jp", "ne.jp", "or.jp", "ac.jp", "co.kr", "or.kr", "com.br", "net.br", "org.br",
  "com.mx", "com.ar", "com.tr", "com.cn", "net.cn", "org.cn", "com.hk", "com.tw", "com.sg",
  "co.in", "net.in", "org.in", "co.za", "co.il", "com.pl", "com.es", "com.pt", "co.id",
  "github.io", "gitlab.io", "blogspot.com", "herokuapp.com", "netlify.app", "vercel.app",
  "pages.dev", "web.app", "firebaseapp.com", "appspot.com", "azurewebsites.net",
  "cloudfront.net", "s3.amazonaws.com",
]);

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** The host of a web address (lower case, no trailing dot), or null for anything that is not
 * an http(s) page (the browser's own pages, the extension's, files). */
export function webHost(url) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return null;
  return parsed.hostname.toLowerCase().replace(/\.$/, "") || null;
}

/** Is `host` a name the server can book as a site (not an IP address, not a single label)? */
export function isSiteName(host) {
  if (!host || host.startsWith("[") || IPV4.test(host)) return false;
  return host.includes(".");
}

/** `www.video.example` → `video.example`; `news.bbc.co.uk` → `bbc.co.uk`. */
export function registrableDomain(host) {
  const labels = host.split(".");
  if (labels.length <= 2) return host;
  const lastTwo = labels.slice(-2).join(".");
  const take = MULTI_LABEL_SUFFIXES.has(lastTwo) ? 3 : 2;
  const lastThree = labels.slice(-3).join(".");
  if (MULTI_LABEL_SUFFIXES.has(lastThree)) return labels.slice(-4).join(".");
  return labels.slice(-take).join(".");
}

/** The usage `app` for a page: `web:<site>`; "" for a web page with no site name (an IP
 * address, `localhost`: counted, but under no site); null for what is not a web page (not
 * counted at all: the new tab page, settings, the block page). */
export function appForUrl(url) {
  const host = webHost(url);
  if (host === null) return null;
  return isSiteName(host) ? `web:${registrableDomain(host)}` : "";
}

/** Does `host` fall under the site rule `rule` (`example.com` = it and every host under it;
 * `*.example.com` = every host under it, not itself)? As the policy's `browsing.domains` says. */
export function hostMatchesRule(host, rule) {
  if (rule.startsWith("*.")) return host.endsWith(rule.slice(1));
  return host === rule || host.endsWith(`.${rule}`);
}

/** The sites of the always-allowed apps (`web:<domain>` entries), lower case. */
export function alwaysAllowedSites(policy) {
  const apps = policy?.privacy?.always_allowed_apps ?? [];
  return apps
    .map((app) => String(app).toLowerCase())
    .filter((app) => app.startsWith("web:"))
    .map((app) => app.slice(4))
    .filter(Boolean);
}
