import { durationWords, namesWords, opensWords, whyWords } from "./lib/state.js";

const $ = (id) => document.getElementById(id);

async function render() {
  const store = await chrome.storage.local.get(["token", "about", "state", "policy", "online", "server"]);
  $("unlinked").hidden = Boolean(store.token);
  $("linked").hidden = !store.token;
  if (!store.token) return;
  const state = store.state ?? { allowed: true, secondsLeft: null };
  $("who").textContent =
    namesWords(store.about?.guardian_names, "Supervised by") || "Supervised by your family";
  if (!state.allowed) {
    $("left").textContent = "Closed for now";
    $("left-words").textContent = `${whyWords(state.reason, state)} ${opensWords(state.opensAt, Date.now())}`;
  } else if (state.secondsLeft === null) {
    $("left").textContent = "No limit today";
    $("left-words").textContent = "";
  } else {
    $("left").textContent = `${durationWords(state.secondsLeft)} left`;
    $("left-words").textContent = "of screen time today";
  }
  $("offline").hidden = store.online !== false;
  $("teen-page").href = store.about?.teen_page_url ?? `${store.server}/me/`;
}

$("open-options").addEventListener("click", () => chrome.runtime.openOptionsPage());
chrome.storage.onChanged.addListener(() => void render());
void render();
