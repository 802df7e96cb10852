"""Malformed and hostile cases: always exit 2 with a message, never a traceback."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from licite.case import load_case
from licite.engine import decide
from licite.errors import InvalidInput, NotModelled
from tests.strategies import cases

LICITE = Path(sys.executable).with_name("licite")

junk = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=True),
        st.text(max_size=30),
        st.sampled_from(
            ["", "x" * 5000, "2024-02-30", "9999-99-99", "all", "email", "\x00", "💥", "-1"]
        ),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += paths(child, (*prefix, index))
    return found


@st.composite
def hostile(draw: st.DrawFn) -> Any:
    document = draw(cases())
    for _ in range(draw(st.integers(1, 3))):
        targets = paths(document)
        path = draw(st.sampled_from(targets))
        parent: Any = document
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "replace", "delete", "add-key"]))
        if action == "replace":
            parent[path[-1]] = draw(junk)
        elif action == "delete" and isinstance(parent, dict):
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=10))] = draw(junk)
    return document


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile())
def test_hostile_documents_are_decided_or_refused_cleanly(document: Any) -> None:
    try:
        decide(load_case(copy.deepcopy(document)))
    except InvalidInput as error:
        assert error.exit_status == 2
        assert error.text.fr.strip() and error.text.en.strip()
    except NotModelled as error:
        assert error.exit_status == 3


@settings(max_examples=200, deadline=None)
@given(st.one_of(junk, st.lists(junk), st.text()))
def test_documents_that_are_not_cases(document: Any) -> None:
    with pytest.raises(InvalidInput):
        load_case(document)


def run_file(tmp_path: Path, name: str, content: bytes) -> subprocess.CompletedProcess[str]:
    path = tmp_path / name
    path.write_bytes(content)
    return subprocess.run(
        [str(LICITE), "--lang", "en", "decide", "--json", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


HOSTILE_FILES = {
    "deep.yaml": b"history: " + b"[" * 20000 + b"]" * 20000 + b"\n",
    "deep.json": b'{"history": ' + b"[" * 100000 + b"]" * 100000 + b"}",
    "bomb.yaml": b"a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
    b"c: &c [*b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c]\n",
    "binary.yaml": bytes(range(256)) * 4,
    "latin1.yaml": "at: 2024-01-01\ntitle: 'caf\xe9'\n".encode("latin-1"),
    "empty.yaml": b"",
    "list.yaml": b"- 1\n- 2\n",
    "scalar.json": b"42",
    "huge.yaml": b"at: 2024-01-01\ntitle: '" + b"x" * 5_000_000 + b"'\n",
    "tabs.yaml": b"at: 2024-01-01\n\tsender: x\n",
    "recursive.yaml": b"a: &a [*a]\n",
    "python-tag.yaml": b"at: !!python/object/apply:os.system ['true']\n",
    "many-events.json": b'{"at": "2024-01-01", "sender": {"id": "s"}, "person": {"kind": '
    b'"consumer"}, "request": {"action": "retain"}, "history": ['
    + b",".join([b'{"at": "2023-01-01", "type": "bloctel"}'] * 100_001)
    + b"]}",
}


@pytest.mark.parametrize("name", sorted(HOSTILE_FILES))
def test_hostile_files_exit_2_with_a_message(tmp_path: Path, name: str) -> None:
    done = run_file(tmp_path, name, HOSTILE_FILES[name])
    assert done.returncode == 2, (done.returncode, done.stderr[:500])
    assert done.stderr.startswith("licite: ") and "Traceback" not in done.stderr
    assert len(done.stderr) < 5000
    assert done.stdout == ""
