// The extension's storage and its calls to the Family Pairing server, shared by the service
// worker's parts. Everything that must survive the worker being stopped is in
// chrome.storage.local.

export const DEFAULTS = { reportSeconds: 60, pollWait: 25, heartbeatSeconds: 300 };

// --- storage and one-at-a-time updates ----------------------------------------------------------

export const get = (keys) => chrome.storage.local.get(keys);
export const set = (values) => chrome.storage.local.set(values);

let chain = Promise.resolve();
/** Run `fn` after every update queued before it: the state in storage has one writer at a time. */
export function locked(fn) {
  const run = chain.then(fn, fn);
  chain = run.catch(() => {});
  return run;
}

export async function config() {
  const { config: stored } = await get("config");
  return { ...DEFAULTS, ...(stored ?? {}) };
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// --- the server ---------------------------------------------------------------------------------

export async function api(path, { method = "GET", body, headers = {}, timeoutMs = 20_000 } = {}) {
  const { server, token } = await get(["server", "token"]);
  if (!server) throw new Error("no server");
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const allHeaders = { Accept: "application/json", ...headers };
  if (token) allHeaders.Authorization = `Bearer ${token}`;
  if (body !== undefined) allHeaders["Content-Type"] = "application/json";
  try {
    const response = await fetch(`${server}${path}`, {
      method,
      headers: allHeaders,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: controller.signal,
      cache: "no-store",
      credentials: "omit",
    });
    await set({ online: true, lastContact: Date.now() });
    return response;
  } catch (error) {
    await set({ online: false });
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

export async function json(response) {
  try {
    return await response.json();
  } catch {
    return null;
  }
}
