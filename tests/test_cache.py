"""licite's file cache (`licite.cache`): what it keeps, and what it refuses to trust."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from licite import cache, places


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    where = tmp_path / "cache"
    monkeypatch.setenv("LICITE_CACHE_DIR", str(where))
    monkeypatch.delenv("LICITE_NO_CACHE", raising=False)
    return where / f"format-{cache.FORMAT}"  # where this layout's entries live


def test_a_value_comes_back_as_written(folder: Path) -> None:
    value = {"a": [1, 2.5, "trois", None, True], "é": {"x": []}}
    cache.write("entry-1", value)
    assert cache.read("entry-1") == value
    assert cache.read("entry-2") is None
    entry = folder / "entry-1.json"
    assert entry.stat().st_mode & 0o777 == 0o600
    assert folder.stat().st_mode & 0o777 == 0o700
    assert folder.parent.stat().st_mode & 0o777 == 0o700


def test_turned_off_it_neither_reads_nor_writes(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache.write("entry", [1])
    monkeypatch.setenv("LICITE_NO_CACHE", "1")
    assert cache.read("entry") is None
    cache.write("other", [2])
    assert not (folder / "other.json").exists()


@pytest.mark.parametrize(
    "damage",
    [
        lambda raw: raw[: len(raw) - 3],  # cut short
        lambda raw: raw.replace(b"42", b"43"),  # a changed value, the checksum not
        lambda raw: b"",
        lambda raw: b"\xff\xfe" + raw,
    ],
)
def test_a_damaged_entry_is_ignored(folder: Path, damage: Callable[[bytes], bytes]) -> None:
    cache.write("entry", {"answer": 42})
    entry = folder / "entry.json"
    entry.write_bytes(damage(entry.read_bytes()))
    assert cache.read("entry") is None


def test_an_entry_others_may_write_or_a_link_is_not_trusted(folder: Path) -> None:
    cache.write("entry", {"answer": 42})
    entry = folder / "entry.json"
    entry.chmod(0o620)
    assert cache.read("entry") is None
    entry.chmod(0o600)
    assert cache.read("entry") == {"answer": 42}
    (folder / "link.json").symlink_to(entry)
    assert cache.read("link") is None


def test_a_folder_that_cannot_be_written_means_no_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("LICITE_CACHE_DIR", str(blocked / "cache"))
    cache.write("entry", [1])  # no error: a cache is never a reason to fail
    assert cache.read("entry") is None


def test_an_entry_renamed_to_another_key_is_ignored(folder: Path) -> None:
    """Whoever may rename files in the folder cannot pass one key's value for another's."""
    cache.write("law-x-old", {"period": "3 years"})
    (folder / "law-x-old.json").rename(folder / "law-x-new.json")
    assert cache.read("law-x-new") is None


def test_without_a_home_there_is_no_cache_and_no_error(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LICITE_CACHE_DIR", "XDG_CACHE_HOME", "LICITE_NO_CACHE"):
        monkeypatch.delenv(name, raising=False)

    def homeless() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "home", homeless)
    assert cache.directory() is None
    cache.write("entry", [1])
    assert cache.read("entry") is None


def test_names_are_plain(folder: Path) -> None:
    for name in ("../escape", "", ".hidden", "Upper", "a/b"):
        with pytest.raises(ValueError):
            cache.read(name)


def test_a_family_keeps_its_newest_entries(folder: Path) -> None:
    for n in range(cache.KEEP + 3):
        cache.write(f"law-x-{n:02d}", n, family="law-x-")
        os.utime(folder / f"law-x-{n:02d}.json", (n, n))  # in order, whatever the clock
    cache.write("law-y-0", 0, family="law-y-")
    kept = sorted(p.name for p in folder.glob("law-x-*.json"))
    assert len(kept) == cache.KEEP
    assert "law-x-00.json" not in kept
    assert (folder / "law-y-0.json").exists()


def test_a_calendar_entry_that_does_not_check_out_is_built_again(folder: Path) -> None:
    name = places._cache_name(2026)
    assert name is not None
    places.calendars.cache_clear()
    truth = places.calendars(2026)  # built, then kept
    assert date(2026, 12, 25) in truth[places.NATIONAL]
    cached = cache.read(name)
    assert isinstance(cached, dict)
    for wrong in (
        {**cached, places.NATIONAL: ["2025-12-25"]},  # another year
        {k: v for k, v in cached.items() if k != "974"},  # a place missing
        {**cached, "974": ["the 20th"]},
    ):
        cache.write(name, wrong)
        places.calendars.cache_clear()
        assert places.calendars(2026) == truth
        assert cache.read(name) == cached
    places.calendars.cache_clear()
