// Linking the browser by code (RFC 8628), the decisions only (pure).

export const GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code";
export const SLOW_DOWN_SECONDS = 5; // RFC 8628 §3.5

/** The server's address as typed: `https://family.example` (no path, no trailing slash), or
 * an Error naming what is wrong. Plain http only for this machine's own names (a test or a
 * home server on the same computer). */
export function serverOrigin(typed) {
  let text = String(typed ?? "").trim();
  if (!text) throw new Error("Type the address of your Family Pairing server.");
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) text = `https://${text}`;
  let url;
  try {
    url = new URL(text);
  } catch {
    throw new Error("That is not a web address.");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new Error("The address must start with https://.");
  }
  const local = ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
  if (url.protocol === "http:" && !local) {
    throw new Error("Use the https:// address: the link code and the token must not travel in the clear.");
  }
  return url.origin;
}

/** The host permission pattern for the server's origin, for chrome.permissions.request. */
export function originPattern(origin) {
  const url = new URL(origin);
  return `${url.protocol}//${url.hostname}/*`;
}

/**
 * What to do after one poll of the token endpoint.
 * -> {done: true, token, device, removedUrl}
 *  | {wait: seconds}            keep polling after this many seconds
 *  | {failed: words, restart}   stop; `restart`: a new code may be asked for
 */
export function pollOutcome(status, body, interval) {
  if (status === 200 && body?.device_token) {
    return { done: true, token: body.device_token, device: body.device, removedUrl: body.removed_url };
  }
  switch (body?.error) {
    case "authorization_pending":
      return { wait: interval };
    case "slow_down":
      return { wait: interval + SLOW_DOWN_SECONDS };
    case "expired_token":
      return { failed: "The code expired before it was approved.", restart: true };
    case "access_denied":
      return { failed: "Linking was refused on the site.", restart: true };
    case "invalid_grant":
      return { failed: "The code is no longer valid.", restart: true };
    default:
      if (status >= 500 || status === 0) return { wait: interval }; // the server will be back
      return { failed: body?.error_description || `The server answered ${status}.`, restart: true };
  }
}

/** `ABCD-EFGH` as the server shows it (it sends it that way already; this only tidies). */
export function showCode(userCode) {
  const bare = String(userCode ?? "").replace(/[^A-Za-z0-9]/g, "").toUpperCase();
  return bare.length === 8 ? `${bare.slice(0, 4)}-${bare.slice(4)}` : String(userCode ?? "");
}
