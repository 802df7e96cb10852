"""`licite gateway --listen H:P --upstream H:P` as a process (SPEC §4, issue 19), driven by
Python's smtplib and by Debian's `swaks` (skipped where swaks is missing, a failure under
CI=true, where .ci/run installs it)."""

from __future__ import annotations

import os
import shutil
import smtplib
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.faults_support import COMMAND, licite
from tests.gateway_support import Downstream, downstream, mail
from tests.test_person_support import Person, person_side

ANNE, BRUNO = "anne@example.org", "bruno@example.org"


@pytest.fixture
def side(tmp_path: Path) -> Iterator[Person]:
    with person_side(f"sqlite:///{tmp_path / 'ledger.db'}", tmp_path) as running:
        yield running


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def gateway_process(side: Person, down: Downstream) -> Iterator[int]:
    port = free_port()
    env = {**os.environ, **side.env}
    process = subprocess.Popen(
        [
            *COMMAND,
            "gateway",
            "--listen",
            f"127.0.0.1:{port}",
            "--upstream",
            f"127.0.0.1:{down.port}",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert process.poll() is None, process.communicate()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
        assert "Traceback" not in stderr
        assert ANNE not in stderr and BRUNO not in stderr  # no address in its logs


def test_the_command_relays_and_refuses(side: Person) -> None:
    # No links key yet: the command makes it once, not each of its two workers at once.
    (side.directory / "keys" / "links.key").unlink()
    with downstream() as down, gateway_process(side, down) as port:
        with smtplib.SMTP("127.0.0.1", port) as client:
            assert client.sendmail("news@shop.example", [ANNE], mail()) == {}
        with (
            pytest.raises(smtplib.SMTPDataError) as caught,
            smtplib.SMTP("127.0.0.1", port) as client,
        ):
            client.sendmail("news@shop.example", [BRUNO], mail())
    assert caught.value.smtp_code == 550
    assert [r.rcpt_tos for r in down.sink.received] == [[ANNE]]


def test_a_bad_upstream_is_an_error_naming_the_option(side: Person) -> None:
    done = licite(["gateway", "--upstream", "nowhere"], {**os.environ, **side.env}, timeout=60)
    assert done.returncode == 2
    assert "--upstream" in done.stderr and "'nowhere'" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_taken_listen_address_is_an_error_naming_the_option(side: Person) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = licite(
            ["gateway", "--listen", f"127.0.0.1:{port}", "--upstream", "127.0.0.1:25"],
            {**os.environ, **side.env},
            timeout=60,
        )
    assert done.returncode == 2, done.stderr
    assert f"--listen: cannot listen on 127.0.0.1:{port}" in done.stderr or (
        f"--listen : impossible d'écouter sur 127.0.0.1:{port}" in done.stderr
    )
    assert "Traceback" not in done.stderr


def require_swaks() -> str:
    found = shutil.which("swaks")
    if found is None:
        reason = "swaks is not installed (Debian: apt-get install swaks)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return found


def swaks(port: int, to: str, campaign: str | None) -> subprocess.CompletedProcess[str]:
    headers = ["--header", f"X-Licite-Campaign: {campaign}"] if campaign else []
    return subprocess.run(
        [
            require_swaks(),
            "--server", f"127.0.0.1:{port}",
            "--from", "news@shop.example",
            "--to", to,
            "--header", "Subject: Nouveaux velos",
            *headers,
            "--body", "Shop : nos velos arrivent. Pour vous desabonner : lien en bas de page.",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )  # fmt: skip


def test_swaks_through_the_gateway(side: Person) -> None:
    require_swaks()
    with downstream() as down, gateway_process(side, down) as port:
        allowed = swaks(port, ANNE, "winter-mail")
        refused = swaks(port, BRUNO, "winter-mail")
        nameless = swaks(port, ANNE, None)
    assert allowed.returncode == 0, allowed.stdout
    assert "<-  250 2.0.0 1 recipient(s) reached" in allowed.stdout
    assert refused.returncode != 0
    assert "<** 550 5.7.1 PROSPECT-NO-CONSENT" in refused.stdout
    assert "<** 550-5.7.1 X-Licite-Campaign: header missing" in nameless.stdout
    [got] = down.sink.received
    message = got.message
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["X-Licite-Campaign"] is None


@contextmanager
def serve_process(env: dict[str, str], port: int) -> Iterator[str]:
    import httpx

    process = subprocess.Popen(
        [*COMMAND, "serve", "--port", str(port), "--workers", "1"],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.communicate()
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "licite serve did not start"
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.communicate(timeout=30)


def test_one_click_against_a_running_serve_refuses_the_next_message(tmp_path: Path) -> None:
    import httpx

    serve_port = free_port()
    public = f"http://127.0.0.1:{serve_port}"
    with (
        person_side(
            f"sqlite:///{tmp_path / 'ledger.db'}", tmp_path, LICITE_PUBLIC_URL=public
        ) as side,
        serve_process(side.env, serve_port),
        downstream() as down,
        gateway_process(side, down) as port,
    ):
        with smtplib.SMTP("127.0.0.1", port) as client:
            assert client.sendmail("news@shop.example", [ANNE], mail()) == {}
        header = str(down.sink.received[0].message["List-Unsubscribe"])
        link = header.split(">")[0].removeprefix("<")
        assert link.startswith(f"{public}/u/")
        # What a mailbox provider does (RFC 8058 §3.1): POST the one-click body to the link.
        answer = httpx.post(
            link,
            content="List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        with (
            pytest.raises(smtplib.SMTPDataError) as caught,
            smtplib.SMTP("127.0.0.1", port) as client,
        ):
            client.sendmail("news@shop.example", [ANNE], mail(subject="Encore"))
    assert caught.value.smtp_code == 550
    assert "OBJECTED" in str(caught.value.smtp_error)
    assert len(down.sink.received) == 1
