"""A person's link (issue 18): signed, expiring, bound to one person and one sender."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from licite.errors import InvalidInput
from licite.ledger.config import parse_url
from licite.service.links import LinkRefused, links_key, make_link, make_token, read_token
from licite.service.person_config import PersonSettings

KEY = bytes(range(32))
NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/"


def test_a_link_reads_back_its_person_sender_and_campaign() -> None:
    link = make_link(KEY, "p-0001", "acme", days=30, campaign="winter", now=NOW)
    read = read_token(KEY, link.token, NOW + timedelta(days=29))
    assert (read.person, read.sender, read.campaign) == ("p-0001", "acme", "winter")
    assert "p-0001" not in link.token  # the id is encoded, never shown in clear either


def test_an_expired_link_is_refused() -> None:
    link = make_link(KEY, "p-0001", "acme", days=30, now=NOW)
    with pytest.raises(LinkRefused) as refused:
        read_token(KEY, link.token, link.expires)
    assert refused.value.reason == "expired"


def test_a_link_cannot_be_made_to_name_another_person() -> None:
    """The attack: keep the signature, rewrite the payload for someone else."""
    mine = make_link(KEY, "p-0001", "acme", days=30, now=NOW)
    other = make_token(KEY, "p-0002", "acme", mine.expires)
    forged = ".".join([*other.split(".")[:2], mine.token.split(".")[2]])
    with pytest.raises(LinkRefused) as refused:
        read_token(KEY, forged, NOW)
    assert refused.value.reason == "forged"


def test_a_link_cannot_be_extended_past_its_expiry() -> None:
    mine = make_link(KEY, "p-0001", "acme", days=1, now=NOW)
    later = make_token(KEY, "p-0001", "acme", mine.expires + timedelta(days=365))
    forged = ".".join([*later.split(".")[:2], mine.token.split(".")[2]])
    with pytest.raises(LinkRefused):
        read_token(KEY, forged, NOW)


def test_another_key_is_refused() -> None:
    link = make_link(os.urandom(32), "p-0001", "acme", days=30, now=NOW)
    with pytest.raises(LinkRefused):
        read_token(KEY, link.token, NOW)


@given(
    person=st.text(min_size=1, max_size=40),
    position=st.integers(min_value=0),
    replacement=st.sampled_from(ALPHABET),
)
def test_one_changed_character_is_refused(person: str, position: int, replacement: str) -> None:
    token = make_link(KEY, person, "acme", days=30, now=NOW).token
    at = position % len(token)
    if token[at] == replacement:
        return
    changed = token[:at] + replacement + token[at + 1 :]
    with pytest.raises(LinkRefused):
        read_token(KEY, changed, NOW)


@given(st.text(max_size=200))
def test_any_text_is_refused_without_an_error(text: str) -> None:
    with pytest.raises(LinkRefused):
        read_token(KEY, text, NOW)


def test_the_links_key_is_kept_in_the_key_directory(tmp_path: Path) -> None:

    location = parse_url(f"sqlite:///{tmp_path / 'l.db'}")
    env = {"LICITE_KEY_DIR": str(tmp_path / "keys")}
    first = links_key(location, env)
    assert links_key(location, env) == first
    assert (tmp_path / "keys" / "links.key").stat().st_mode & 0o777 == 0o600
    assert links_key(location, {"LICITE_LINKS_KEY": "ab" * 32}) == bytes([0xAB] * 32)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LICITE_PUBLIC_URL", "ftp://x"),
        ("LICITE_LINK_DAYS", "0"),
        ("LICITE_LINK_DAYS", "soon"),
        ("LICITE_UNSUBSCRIBE_MAILTO", "nobody"),
        ("LICITE_SMS_SENDER", "shop\x00"),
    ],
)
def test_a_bad_setting_names_the_variable(name: str, value: str) -> None:
    with pytest.raises(InvalidInput) as bad:
        PersonSettings.from_environ({name: value})
    assert name in bad.value.text.en and name in bad.value.text.fr
