"""Personal data at rest, keyed hashes, proof evidence, and erasure (GDPR art. 17)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from pathlib import Path

import pytest

from licite.case import Campaign, load_campaign
from licite.errors import InvalidInput, LedgerError
from licite.ledger import Ledger, decide_person, history_as_of, import_file, verify
from licite.ledger.dossier import dossier
from licite.ledger.erasure import erase
from licite.ledger.proof import load_proof
from licite.moments import parse_moment
from tests.test_ledger_support import (
    BACKENDS,
    environ,
    event_line,
    open_ledger,
    person_line,
    raw,
    run,
    store_url,
    write_lines,
)

CAMPAIGN: Campaign = load_campaign(
    {
        "id": "newsletter",
        "at": "2025-01-10T11:00:00+01:00",
        "sender": {"id": "shop"},
        "request": {"action": "contact", "channel": "email", "purpose": "commercial"},
    }
)
LINES = [
    person_line("p1"),
    event_line("p1", "2024-06-01", "collected", method="form", purpose="commercial"),
    event_line(
        "p1",
        "2024-06-01T10:00:00+02:00",
        "consent",
        channel="email",
        purpose="commercial",
        mechanism="double_opt_in",
        proof={
            "wording_text": "J'accepte de recevoir les offres de Shop par courriel.",
            "form": "https://shop.example/newsletter",
            "ip": "2001:db8:1234:5678::9",
            "user_agent": "Mozilla/5.0",
            "recorded_by": "signup-service",
        },
    ),
]


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with store_url(request.param, tmp_path) as located:
        yield located


@pytest.fixture
def ledger(url: str, tmp_path: Path) -> Iterator[Ledger]:
    with open_ledger(url, tmp_path) as opened:
        import_file(opened, write_lines(tmp_path / "in.jsonl", LINES))
        yield opened


def test_personal_data_is_sealed_and_hashed_with_the_keyed_formula(
    ledger: Ledger, url: str
) -> None:
    row = raw(url, "SELECT email_hash, phone_hash, email_sealed FROM persons WHERE id = 'p1'")[0]
    key = ledger.keys.hmac
    assert row[0] == hmac.new(key, b"jean.dupont@example.fr", hashlib.sha256).hexdigest()
    assert row[1] == hmac.new(key, b"+33612345678", hashlib.sha256).hexdigest()
    assert "jean" not in row[2].lower()
    evidence = raw(url, "SELECT proof_evidence FROM events WHERE type = 'consent'")[0][0]
    assert "2001:db8" not in evidence and "Mozilla" not in evidence


def test_dossier_holds_the_proof_of_consent(ledger: Ledger) -> None:
    found = dossier(ledger, "p1")
    consent = next(e for e in found["events"] if e["type"] == "consent")
    assert consent["proof"]["wording_text"].startswith("J'accepte")
    assert consent["proof"]["evidence"] == {"ip": "2001:db8:1234::", "user_agent": "Mozilla/5.0"}
    assert consent["proof"]["recorded_by"] == "signup-service"
    chain = found["chain"]
    digests = [seq for seq, _ in chain["digests"]]
    assert digests == list(range(1, len(digests) + 1))
    assert chain["signed"]["public_key"] == ledger.public_key


def test_ipv4_is_truncated_to_24_bits() -> None:
    assert load_proof({"ip": "192.0.2.201"}, "consent").ip == "192.0.2.0"


def test_proof_is_strict() -> None:
    with pytest.raises(InvalidInput) as caught:
        load_proof({"ip": "not-an-ip"}, "consent")
    assert "proof.ip" in caught.value.text.en and "not an IP address" in caught.value.text.en
    with pytest.raises(InvalidInput):
        load_proof({"form": "f"}, "interaction")


def test_erasure_keeps_the_chain_and_the_objection(ledger: Ledger, url: str) -> None:
    assert decide_person(ledger, "p1", CAMPAIGN).allowed
    erase(ledger, "p1", parse_moment("2025-01-05"))
    person = ledger.person("p1")
    assert (person.email, person.phone, person.postal_code) == (None, None, None)
    assert person.email_hash is not None and person.erased_at_us is not None
    assert raw(url, "SELECT COUNT(*) FROM person_keys")[0][0] == 0
    assert dossier(ledger, "p1")["events"][1]["proof"]["evidence"] == "erased"
    decision = decide_person(ledger, "p1", CAMPAIGN)
    assert not decision.allowed and "OBJECTED" in decision.codes
    verify(ledger)
    with pytest.raises(LedgerError):
        erase(ledger, "p1")


def test_erased_address_still_blocks_a_new_record(ledger: Ledger, url: str, tmp_path: Path) -> None:
    erase(ledger, "p1", parse_moment("2025-01-05"))
    again = [
        person_line("p1-again"),
        event_line("p1-again", "2025-01-06", "consent", channel="email", purpose="commercial"),
    ]
    import_file(ledger, write_lines(tmp_path / "again.jsonl", again))
    history = history_as_of(ledger, ledger.person("p1-again"), parse_moment("2025-01-10"))
    assert [e.type for e in history] == ["objection", "consent"]
    # The consent after the erasure lifts the objection, as any later consent would (SPEC 1.3).
    assert decide_person(ledger, "p1-again", CAMPAIGN).allowed


def test_reimporting_an_erased_person_does_not_revive_them(ledger: Ledger, tmp_path: Path) -> None:
    erase(ledger, "p1")
    report = import_file(ledger, write_lines(tmp_path / "in.jsonl", LINES[:1]))
    assert (report.persons_added, report.persons_erased, report.rejected) == (0, 1, [])
    assert ledger.person("p1").email is None


def test_erase_command(url: str, tmp_path: Path, ledger: Ledger) -> None:
    env = environ(url, tmp_path)
    result = run(["--lang", "en", "ledger", "erase", "--person", "p1"], env)
    assert result.exit_code == 0 and "erased" in result.output
    assert run(["ledger", "verify"], env).exit_code == 0
    missing = run(["--lang", "en", "ledger", "erase", "--person", "nobody"], env)
    assert missing.exit_code == 2 and "nobody" in missing.output
