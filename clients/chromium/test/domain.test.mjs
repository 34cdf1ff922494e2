import assert from "node:assert/strict";
import { test } from "node:test";

import {
  alwaysAllowedSites,
  appForUrl,
  hostMatchesRule,
  registrableDomain,
  webHost,
} from "../lib/domain.js";

test("a page's site is its registrable domain, as the server books it", () => {
  assert.equal(appForUrl("https://www.video.example/watch?v=1"), "web:video.example");
  assert.equal(appForUrl("https://news.bbc.co.uk/sport"), "web:bbc.co.uk");
  assert.equal(appForUrl("https://foo.github.io/x"), "web:foo.github.io");
  assert.equal(appForUrl("http://EXAMPLE.com./"), "web:example.com");
  assert.equal(registrableDomain("a.b.c.example.com"), "example.com");
});

test("pages without a site name count under no site; browser pages do not count", () => {
  assert.equal(appForUrl("http://192.168.1.1/admin"), "");
  assert.equal(appForUrl("http://localhost:8000/"), "");
  assert.equal(appForUrl("chrome://newtab/"), null);
  assert.equal(appForUrl("chrome-extension://abc/block.html"), null);
  assert.equal(appForUrl("not a url"), null);
  assert.equal(webHost("file:///etc/hosts"), null);
});

test("site rules: a name covers its subdomains, a wildcard only the subdomains", () => {
  assert.ok(hostMatchesRule("example.com", "example.com"));
  assert.ok(hostMatchesRule("m.example.com", "example.com"));
  assert.ok(!hostMatchesRule("badexample.com", "example.com"));
  assert.ok(hostMatchesRule("a.example.com", "*.example.com"));
  assert.ok(!hostMatchesRule("example.com", "*.example.com"));
});

test("always-allowed sites come from the web: apps only", () => {
  const policy = { privacy: { always_allowed_apps: ["com.whatsapp", "WEB:School.example", "web:"] } };
  assert.deepEqual(alwaysAllowedSites(policy), ["school.example"]);
  assert.deepEqual(alwaysAllowedSites(null), []);
});
