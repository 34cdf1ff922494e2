// Linking the browser to the family (RFC 8628): ask for a code, show it, poll until the teen or
// a guardian approves it on the site, keep the token.

import { GRANT_TYPE, pollOutcome } from "./lib/enrolment.js";
import { api, get, json, set, sleep } from "./server.js";

// --- linking (RFC 8628) -------------------------------------------------------------------------

let linking = false;
/** Start linking with `server`; `onLinked()` runs once the token is kept. */
export async function linkStart(server, onLinked) {
  await set({ server, token: null, policy: null, etag: null, enrolment: null, linkError: null });
  const response = await api("/api/v1/device/enrolment", {
    method: "POST",
    body: { platform: "browser", suggested_name: suggestedName() },
  });
  const body = await json(response);
  if (response.status !== 200 || !body?.device_code) {
    const detail = body?.detail || JSON.stringify(body ?? {});
    await set({ linkError: `The server refused to start linking (${response.status}): ${detail}` });
    return;
  }
  await set({
    enrolment: { ...body, expiresAt: Date.now() + body.expires_in * 1000 },
  });
  void linkPoll(onLinked);
}

function suggestedName() {
  const brand = navigator.userAgentData?.brands?.find((b) => !/Not|Chromium/.test(b.brand));
  const platform = navigator.userAgentData?.platform || "computer";
  return `${brand?.brand ?? "Chromium"} on ${platform}`.slice(0, 80);
}

export async function linkPoll(onLinked) {
  if (linking) return;
  linking = true;
  try {
    for (;;) {
      const { enrolment } = await get("enrolment");
      if (!enrolment) return;
      if (Date.now() > enrolment.expiresAt) {
        await set({ enrolment: null, linkError: "The code expired before it was approved." });
        return;
      }
      await sleep(enrolment.interval * 1000);
      let status = 0;
      let body = null;
      try {
        const response = await api("/api/v1/device/enrolment/token", {
          method: "POST",
          body: { grant_type: GRANT_TYPE, device_code: enrolment.device_code },
        });
        status = response.status;
        body = await json(response);
      } catch {
        status = 0;
      }
      const outcome = pollOutcome(status, body, enrolment.interval);
      if (outcome.done) {
        await set({
          token: outcome.token,
          device: outcome.device,
          removedUrl: outcome.removedUrl,
          enrolment: null,
          linkState: "linked",
          etag: null,
        });
        if (outcome.removedUrl) chrome.runtime.setUninstallURL(outcome.removedUrl);
        await onLinked();
        return;
      }
      if (outcome.failed) {
        await set({ enrolment: null, linkError: outcome.failed });
        return;
      }
      await set({ enrolment: { ...enrolment, interval: outcome.wait } });
    }
  } finally {
    linking = false;
  }
}
