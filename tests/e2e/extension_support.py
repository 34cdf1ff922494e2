"""The browser extension under test: Debian's Chromium with `clients/chromium/` loaded unpacked,
tiny local web sites under `*.example` names, and a switchable TCP relay in front of the live
test server (the extension's "network": switched off, the server is unreachable, as offline).

The extension is loaded exactly as a family installs it: its host permissions are declared in the
manifest (granted at install, and without any prompt when installed by policy), so no browser
prompt stands between the test and the extension."""

from __future__ import annotations

import contextlib
import shutil
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from django.db import OperationalError

ROOT = Path(__file__).resolve().parents[2]
EXTENSION = ROOT / "clients" / "chromium"
# The search engines and YouTube are served locally too (restricted mode's rules match their
# real names): nothing leaves the machine.
RESOLVER_RULES = (
    "MAP *.example 127.0.0.1, MAP www.google.com 127.0.0.1, MAP www.youtube-nocookie.com 127.0.0.1"
)


class _SiteHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        host = (self.headers.get("Host") or "site").split(":")[0]
        self.server.seen.append((host, self.path, dict(self.headers)))
        title = f"{host} home"
        if "title=" in self.path:  # hex, so the address itself holds no words
            title = bytes.fromhex(self.path.split("title=", 1)[1].split("&")[0]).decode()
        body = (
            f"<!doctype html><html lang=en><title>{title}</title>"
            f"<h1>Welcome to {host}</h1><p>A test site.</p></html>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Sites:
    """Serves every `*.example` name (mapped to 127.0.0.1 by the browser) on one port."""

    def __init__(self):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _SiteHandler)
        self.server.seen = []  # (host, path, headers) of every request, for the tests to read
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, host: str, path: str = "/") -> str:
        return f"http://{host}:{self.port}{path}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Relay:
    """127.0.0.1:<port> → the live server. `online = False` refuses and cuts connections."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.online = True
        self.open: set[socket.socket] = set()
        self.lock = threading.Lock()
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self):
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.online:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self.lock:
                self.open.update((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def go_offline(self):
        self.online = False
        with self.lock:
            for sock in self.open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self.open.clear()

    def go_online(self):
        self.online = True

    def close(self):
        self.closed = True
        self.go_offline()
        self.listener.close()


def extension_copy(target: Path) -> Path:
    """The extension's files as shipped (without its unit tests), in a folder of the test's own."""
    shutil.copytree(EXTENSION, target, ignore=shutil.ignore_patterns("test", "node_modules"))
    return target


def launch(playwright, tmp_path: Path, chromium: str, sites: Sites):
    """A persistent context with the extension loaded; (context, service worker, extension id)."""
    directory = extension_copy(tmp_path / "extension")
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=chromium,
        headless=False,
        viewport={"width": 900, "height": 760},
        locale="en-GB",
        args=[
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--disable-extensions-except={directory}",
            f"--load-extension={directory}",
            f"--host-resolver-rules={RESOLVER_RULES}",
        ],
    )
    worker = (
        context.service_workers[0]
        if context.service_workers
        else context.wait_for_event("serviceworker", timeout=15_000)
    )
    extension_id = worker.url.split("/")[2]
    return context, worker, extension_id


def unlocked(function, *args, **kwargs):
    """Call `function`, again while SQLite says a table is locked. The live server's threads
    and this test share one in-memory database (shared cache), whose table locks have no busy
    timeout; the server answers its own such moments with a 503, which the extension retries."""
    for _ in range(100):
        try:
            return function(*args, **kwargs)
        except OperationalError as error:
            if "locked" not in str(error):
                raise
            time.sleep(0.05)
    return function(*args, **kwargs)


def storage(worker, *keys: str) -> dict:
    return worker.evaluate("(keys) => chrome.storage.local.get(keys)", list(keys))


def wait_until(check, *, timeout: float, step: float = 0.05, what: str = "the condition"):
    """Poll `check()` until it returns something truthy (returned), at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(step)
