"""Login throttling behind a reverse proxy: the client's address from `X-Forwarded-For` / `Forwarded` only when the
peer is a trusted proxy (the rightmost hop that is not one), never otherwise; tried on a real `medoracle serve`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from sites import DOCS, PASSWORD
from test_two_servers import _free_port

from medoracle.settings import Settings
from medoracle.web.proxies import client_address

NETS = Settings(trusted_proxies="10.0.0.0/8, 192.0.2.1, 2001:db8:1::/48").trusted_networks


@pytest.mark.parametrize("peer,header,values,expected", [
    # nothing trusted, or a peer that is not a proxy: the header is whatever the client wrote, never read
    ("203.0.113.7", "x-forwarded-for", ["6.6.6.6"], "203.0.113.7"),
    ("127.0.0.1", "x-forwarded-for", ["6.6.6.6"], "127.0.0.1"),
    # from a trusted proxy: the rightmost hop that is not a trusted proxy; hops to its left are the client's
    ("10.0.0.2", "x-forwarded-for", ["6.6.6.6, 203.0.113.7, 10.0.0.9"], "203.0.113.7"),
    ("10.0.0.2", "x-forwarded-for", ["6.6.6.6", "203.0.113.7"], "203.0.113.7"),  # two header lines, in order
    ("10.0.0.2", "x-forwarded-for", ["203.0.113.7:4711"], "203.0.113.7"),
    ("10.0.0.2", "x-forwarded-for", [], "10.0.0.2"),  # a proxy that sent no header is the client
    ("10.0.0.2", "x-forwarded-for", ["10.0.0.3, 192.0.2.1"], "10.0.0.3"),  # all trusted: the farthest one
    ("10.0.0.2", "x-forwarded-for", ["unknown"], "10.0.0.2"),  # junk never becomes a throttling key
    ("10.0.0.2", "x-forwarded-for", ["6.6.6.6, garbage, 203.0.113.7"], "203.0.113.7"),
    ("::ffff:10.0.0.2", "x-forwarded-for", ["203.0.113.7"], "203.0.113.7"),  # IPv4 peer on a dual-stack socket
    ("2001:db8:1::5", "forwarded", ['for=6.6.6.6, for="[2001:db8:cafe::17]:4711";proto=https'],
     "2001:db8:cafe::17"),
    ("192.0.2.1", "forwarded", ["for=198.51.100.3;by=192.0.2.1"], "198.51.100.3"),
    (None, "x-forwarded-for", ["6.6.6.6"], "unknown"),
])
def test_the_client_is_the_rightmost_untrusted_hop(peer: str | None, header: str, values: list[str],
                                                   expected: str) -> None:
    assert client_address(peer, header, values, NETS) == expected
    assert client_address(peer, header, values, ()) == (peer or "unknown")  # no trusted proxies: the peer


def test_bad_proxy_settings_are_refused_at_start() -> None:
    with pytest.raises(ValueError, match="'10.0.0.0/33' is not an IP address or CIDR range"):
        Settings(trusted_proxies="127.0.0.1, 10.0.0.0/33")
    with pytest.raises(ValueError, match="proxy_header"):
        Settings(proxy_header="X-Real-IP")
    assert Settings(trusted_proxies=["127.0.0.1", "::1"]).trusted_networks  # type: ignore[arg-type]  # TOML list


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """A real `medoracle serve` on 127.0.0.1 whose only trusted proxy is 127.0.0.2 (another loopback address)."""
    from medoracle.editorial import repository_beside
    from medoracle.editorial.users import Accounts
    from medoracle.ingest.pipeline import ingest
    from medoracle.store import SQLiteStore

    root = tmp_path_factory.mktemp("proxied")
    (root / "docs.jsonl").write_text("\n".join(json.dumps(d) for d in DOCS[:1]), encoding="utf-8")
    db = root / "served.db"
    store = SQLiteStore(db)
    ingest([root / "docs.jsonl"], store)
    Accounts(repository_beside(store)).add("rita", PASSWORD, "reviewer")
    store.close()
    port = _free_port()
    env = {**os.environ, "MEDORACLE_DATA_DIR": str(root / "data"), "MEDORACLE_EMBEDDER": "none",
           "MEDORACLE_TRUSTED_PROXIES": "127.0.0.2"}
    proc = subprocess.Popen([sys.executable, "-m", "medoracle.cli", "serve", "--db", str(db), "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        while True:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.time() < deadline, "server did not start"
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        yield {"base": base, "db": db}
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _browser(base: str, source: str) -> tuple[httpx.Client, str]:
    """A client whose connections come from `source` (a loopback address), with the login form's CSRF token."""
    import re

    c = httpx.Client(base_url=base, transport=httpx.HTTPTransport(local_address=source), timeout=30)
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text)
    assert token
    return c, token.group(1)


def _fail(c: httpx.Client, token: str, n: int, forwarded: str | None) -> int:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    # a new account name each time: only the per-client limit (20 free failures) can stop these
    return c.post("/login", data={"username": f"nobody-{n}-{time.monotonic_ns()}", "password": "wrong",
                                  "csrf_token": token}, headers=headers).status_code


def test_a_client_cannot_spoof_its_address_to_escape_throttling(served: dict) -> None:
    c, token = _browser(served["base"], "127.0.0.1")
    codes = [_fail(c, token, i, f"198.51.100.{i}") for i in range(21)]  # a new "address" for each try
    assert codes[:20] == [401] * 20 and codes[20] == 429, codes
    from medoracle.editorial import open_repository
    clients = {e.details["client"] for e in open_repository(served["db"]).audit_recent(action="login_failed",
                                                                                       limit=100)}
    assert "127.0.0.1" in clients and not any(x.startswith("198.51.100.") for x in clients)


def test_behind_the_trusted_proxy_each_real_client_is_counted_apart(served: dict) -> None:
    proxy, token = _browser(served["base"], "127.0.0.2")
    codes = [_fail(proxy, token, i, "203.0.113.7") for i in range(20)]
    assert codes == [401] * 20
    assert _fail(proxy, token, 20, "203.0.113.7") == 429
    # hops the client wrote to the left of what the proxy appended are not believed
    assert _fail(proxy, token, 21, "203.0.113.99, 203.0.113.7") == 429
    # another client behind the same proxy is not held up by the first one's failures, and can log in
    assert _fail(proxy, token, 22, "203.0.113.8") == 401
    ok = proxy.post("/login", data={"username": "rita", "password": PASSWORD, "csrf_token": token},
                    headers={"X-Forwarded-For": "203.0.113.8"})
    assert ok.status_code == 303
    from medoracle.editorial import open_repository
    logins = open_repository(served["db"]).audit_recent(action="login", subject="user:rita", limit=1)
    assert logins[0].details["client"] == "203.0.113.8"
