"""Real DNS servers for the exported lists: Debian's dnsmasq and unbound, each started as its own
process on a free loopback port with the list as served, and a tiny fake upstream so allowed
names resolve without the internet. Everything listens on 127.0.0.1 only and stops at the end
of its test; every wait is bounded."""

from __future__ import annotations

import getpass
import grp
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rdatatype
import dns.rrset
import pytest

from controls.feeds import services as feeds
from controls.rules import services

UPSTREAM_A = "192.0.2.1"  # TEST-NET-1: what the fake upstream answers for every name
UPSTREAM_AAAA = "2001:db8::1"
SITE_URL = "https://family.example.org"
DNSMASQ = shutil.which("dnsmasq") or (
    "/usr/sbin/dnsmasq" if Path("/usr/sbin/dnsmasq").exists() else None
)
UNBOUND = shutil.which("unbound") or (
    "/usr/sbin/unbound" if Path("/usr/sbin/unbound").exists() else None
)
START_SECONDS = 10


def free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1 (DNS servers listen on both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = udp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port
    raise RuntimeError("no free loopback port")


class FakeUpstream:
    """Answers every A query with 192.0.2.1 and every AAAA with 2001:db8::1 (UDP, loopback)."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                query = dns.message.from_wire(data)
            except Exception:  # noqa: S112 - not DNS: ignore, keep serving
                continue
            response = dns.message.make_response(query)
            response.flags |= dns.flags.RA
            for question in query.question:
                answer = {dns.rdatatype.A: UPSTREAM_A, dns.rdatatype.AAAA: UPSTREAM_AAAA}
                if question.rdtype in answer:
                    response.answer.append(
                        dns.rrset.from_text(
                            question.name, 60, "IN", question.rdtype, answer[question.rdtype]
                        )
                    )
            self.sock.sendto(response.to_wire(), peer)

    def __enter__(self) -> FakeUpstream:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


class Resolver:
    """Queries one server on 127.0.0.1:port; answers as the addresses it returned."""

    def __init__(self, port: int, process: subprocess.Popen) -> None:
        self.port = port
        self.process = process

    def addresses(self, name: str, rdtype: str) -> set[str]:
        query = dns.message.make_query(name, rdtype)
        response = dns.query.udp(query, "127.0.0.1", port=self.port, timeout=3)
        return {
            item.address
            for rrset in response.answer
            if rrset.rdtype == dns.rdatatype.from_text(rdtype)
            for item in rrset
        }

    def wait_ready(self, name: str = "ready.probe.test") -> None:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                out = self.process.stdout.read() if self.process.stdout else ""
                raise AssertionError(f"the server exited ({self.process.returncode}): {out}")
            try:
                dns.query.udp(
                    dns.message.make_query(name, "A"), "127.0.0.1", port=self.port, timeout=0.3
                )
                return
            except (dns.exception.Timeout, OSError):
                time.sleep(0.1)
        raise AssertionError(f"no DNS server answered on 127.0.0.1:{self.port}")


def _run(command: list[str]) -> subprocess.Popen:
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture
def upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream() as server:
        yield server


@pytest.fixture
def feed_text(settings, alice, tom):
    """The list as a filter gets it from the subscription address, for given rules."""
    from django.test import Client

    settings.SITE_URL = SITE_URL

    def fetch(fmt: str, *, mode: str, domains: list[str]) -> str:
        services.browsing_update(
            actor=alice, teen=tom, changes={"domain_mode": mode, "domains": domains}
        )
        token = feeds.dns_feed_create(actor=alice, teen=tom).token
        response = Client().get(f"/feeds/{token}/{fmt}.txt")
        assert response.status_code == 200
        return response.content.decode()

    return fetch


@pytest.fixture
def dnsmasq(tmp_path, upstream):
    """Start dnsmasq with a list: `dnsmasq(text, as_hosts=False)` → a Resolver."""
    if DNSMASQ is None:
        pytest.skip("dnsmasq is not installed (apt-get install dnsmasq-base)")
    started: list[subprocess.Popen] = []

    def start(text: str, *, as_hosts: bool = False) -> Resolver:
        listing = tmp_path / ("hosts" if as_hosts else "dnsmasq.conf")
        listing.write_text(text)
        port = free_port()
        option = f"--addn-hosts={listing}" if as_hosts else f"--conf-file={listing}"
        process = _run(
            [
                DNSMASQ,
                "--keep-in-foreground",
                "--log-facility=-",
                # Stay the user running the tests: dnsmasq reads a hosts file after dropping
                # to "nobody", who cannot enter pytest's private tmp directory.
                f"--user={getpass.getuser()}",
                f"--group={grp.getgrgid(os.getgid()).gr_name}",
                f"--port={port}",
                "--listen-address=127.0.0.1",
                "--bind-interfaces",
                "--no-resolv",
                "--no-hosts",
                f"--pid-file={tmp_path / 'dnsmasq.pid'}",
                f"--server=127.0.0.1#{upstream.port}",
                option,
            ]
        )
        started.append(process)
        resolver = Resolver(port, process)
        resolver.wait_ready()
        return resolver

    yield start
    for process in started:
        _stop(process)


@pytest.fixture
def unbound(tmp_path, upstream):
    """Start unbound with a list included in its server: section → a Resolver."""
    if UNBOUND is None:
        pytest.skip("unbound is not installed (apt-get install unbound)")
    started: list[subprocess.Popen] = []

    def start(text: str) -> Resolver:
        listing = tmp_path / "family-pairing.conf"
        listing.write_text(text)
        port = free_port()
        conf = tmp_path / "unbound.conf"
        conf.write_text(
            "server:\n"
            f"  interface: 127.0.0.1@{port}\n"
            f"  port: {port}\n"
            "  do-daemonize: no\n"
            '  username: ""\n'
            '  chroot: ""\n'
            f'  directory: "{tmp_path}"\n'
            f'  pidfile: "{tmp_path / "unbound.pid"}"\n'
            "  use-syslog: no\n"
            '  logfile: ""\n'
            "  verbosity: 0\n"
            "  do-ip6: no\n"
            "  access-control: 127.0.0.0/8 allow\n"
            '  module-config: "iterator"\n'
            "  do-not-query-localhost: no\n"
            "  qname-minimisation: no\n"
            "  msg-cache-size: 0\n"
            "  rrset-cache-size: 0\n"
            # unbound answers RFC 6761's test. itself by default; these tests use it as the
            # internet, so it must go to the (fake) upstream like any other name.
            '  local-zone: "test." nodefault\n'
            f'  include: "{listing}"\n'
            "forward-zone:\n"
            '  name: "."\n'
            f"  forward-addr: 127.0.0.1@{upstream.port}\n"
            "remote-control:\n"
            "  control-enable: no\n"
        )
        checked = (
            subprocess.run(
                [str(Path(UNBOUND).with_name("unbound-checkconf")), str(conf)],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
            if Path(UNBOUND).with_name("unbound-checkconf").exists()
            else None
        )
        if checked is not None:
            assert checked.returncode == 0, checked.stdout + checked.stderr
        process = _run([UNBOUND, "-d", "-c", str(conf)])
        started.append(process)
        resolver = Resolver(port, process)
        resolver.wait_ready()
        return resolver

    yield start
    for process in started:
        _stop(process)
