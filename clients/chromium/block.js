// The block page: why this page is closed, who set it, when it opens, and asking for more time.
// Live: it follows chrome.storage, which the service worker updates from the change channel,
// and goes back to the page when it may show again.
import { pageBlockReason } from "./lib/rules.js";
import { durationWords, namesWords, opensWords, timeCanHelp, whyWords } from "./lib/state.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const why = params.get("why") ?? "";
const blockedUrl = location.hash.slice(1);

function keywordOf(policy) {
  if (params.get("kw")) return params.get("kw");
  const index = Number(params.get("k"));
  return Number.isInteger(index) ? policy?.browsing?.keyword_filters?.[index] : undefined;
}

function requestWords(request) {
  const asked = request.minutes ? `${request.minutes} minutes` : "the rest of today";
  const who = request.answered_by?.display_name ?? "Your guardian";
  const note = request.note ? ` “${request.note}”` : "";
  switch (request.status) {
    case "pending":
      return [`You asked for ${asked}. Waiting for an answer…`, "pending"];
    case "approved":
      return [`${who} said yes: ${asked} more.${note}`, "approved"];
    case "denied":
      return [`${who} said no to ${asked}.${note}`, "denied"];
    default:
      return [`Your request for ${asked} was not answered in time.`, "denied"];
  }
}

async function render() {
  const store = await chrome.storage.local.get(["policy", "state", "about", "server", "timeRequests"]);
  const state = store.state ?? { allowed: true };
  const serverHost = store.server ? new URL(store.server).hostname : null;
  // A word seen in the title only: closed while that word is still on the list (the address
  // alone would not show it, and reopening would only bounce back here).
  const word = why === "keyword" ? keywordOf(store.policy) : undefined;
  const wordStill = word && (store.policy?.browsing?.keyword_filters ?? []).includes(word);
  const still = wordStill
    ? { reason: "keyword", keyword: word }
    : blockedUrl
      ? pageBlockReason(store.policy, state, blockedUrl, "", { serverHost })
      : { reason: why };
  if (!still && blockedUrl) {
    location.replace(blockedUrl); // open again: back to the page
    return;
  }
  const reason = still?.reason ?? why;
  const names = store.about?.guardian_names;
  $("who").textContent = namesWords(names, "Supervised by") || "Family Pairing";
  $("why").textContent = whyWords(reason, {
    downtimeName: state.downtimeName,
    lockBy: state.lockBy,
    keyword: still?.keyword ?? keywordOf(store.policy),
  });
  let site = "";
  try {
    site = blockedUrl ? new URL(blockedUrl).hostname : "";
  } catch {
    site = "";
  }
  $("site").textContent = [site && `Page: ${site}.`, namesWords(names)].filter(Boolean).join(" ");
  $("left").textContent =
    state.secondsLeft === null || state.secondsLeft === undefined
      ? ""
      : `Time left today: ${durationWords(state.secondsLeft)}.`;
  $("opens").textContent = state.allowed ? "" : opensWords(state.opensAt, Date.now());
  $("ask").hidden = !timeCanHelp(reason);
  const latest = (store.timeRequests ?? [])[0];
  $("answer").hidden = !latest;
  if (latest) {
    const [words, kind] = requestWords(latest);
    $("answer").textContent = words;
    $("answer").className = `status ${kind}`;
  }
  $("teen-page").href = store.about?.teen_page_url ?? `${store.server ?? ""}/me/`;
}

$("ask-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("ask-error").textContent = "";
  const raw = $("minutes").value;
  const answer = await chrome.runtime.sendMessage({
    type: "ask",
    minutes: raw ? Number(raw) : null,
    reason: $("reason").value,
  });
  if (!answer?.ok) $("ask-error").textContent = answer?.error ?? "Could not send: try again.";
  else $("reason").value = "";
  await render();
});

chrome.storage.onChanged.addListener(() => void render());
void render();
