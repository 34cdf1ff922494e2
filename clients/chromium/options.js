import { renderSVG } from "./vendor/uqr.mjs";
import { originPattern, serverOrigin, showCode } from "./lib/enrolment.js";
import { namesWords } from "./lib/state.js";

const $ = (id) => document.getElementById(id);
const ALL_SITES = "*://*/*";

async function render() {
  const store = await chrome.storage.local.get([
    "server", "token", "device", "about", "enrolment", "linkError", "linkState",
  ]);
  // The family's administrator may have set the server by policy (managed_schema.json).
  const managed = await chrome.storage.managed.get("server").catch(() => ({}));
  if (managed.server) {
    $("server").value = managed.server;
    $("server").readOnly = true;
    $("server-managed").hidden = false;
  } else if (store.server && !$("server").value) {
    $("server").value = store.server;
  }
  $("linked").hidden = !store.token;
  if (store.token) {
    const name = store.device?.name ?? "This browser";
    const teen = store.about?.teen_name;
    $("linked-what").textContent = teen ? `${name}, ${teen}'s browser.` : `${name}.`;
    $("linked-who").textContent = namesWords(store.about?.guardian_names, "Supervised by");
    $("linked-page").href = store.about?.teen_page_url ?? `${store.server}/me/`;
  }
  const enrolment = store.enrolment;
  $("code").hidden = !enrolment;
  if (enrolment) {
    $("user-code").textContent = showCode(enrolment.user_code);
    $("verify-link").textContent = enrolment.verification_uri;
    $("verify-link").href = enrolment.verification_uri_complete;
    $("qr").innerHTML = renderSVG(enrolment.verification_uri_complete, { border: 2 });
    const minutes = Math.max(0, Math.round((enrolment.expiresAt - Date.now()) / 60000));
    $("expires").textContent = `The code works for ${minutes} more minutes.`;
  }
  let error = store.linkError ?? "";
  if (!store.token && store.linkState === "removed") {
    error = error || "This browser was removed on the site. Link it again.";
  }
  $("server-error").textContent = error;
}

$("link-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("server-error").textContent = "";
  let origin;
  try {
    origin = serverOrigin($("server").value);
  } catch (error) {
    $("server-error").textContent = error.message;
    $("server").focus();
    return;
  }
  const origins = [originPattern(origin), ALL_SITES];
  const granted =
    (await chrome.permissions.contains({ origins })) ||
    (await chrome.permissions.request({ origins }));
  if (!granted) {
    $("server-error").textContent =
      "Without access to sites the extension cannot keep the family's rules. Try again and choose Allow.";
    return;
  }
  const answer = await chrome.runtime.sendMessage({ type: "link", server: origin });
  if (!answer?.ok) $("server-error").textContent = answer?.error ?? "Could not reach the server.";
  await render();
});

chrome.storage.onChanged.addListener(() => void render());
void render();
