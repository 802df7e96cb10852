"""Reading YAML and JSON documents into plain Python values.

YAML is read with the YAML 1.2 core scalars, not PyYAML's 1.1 defaults: `no`
stays a word, `+33612345678` and `0612345678` stay text (a phone number is not
an integer), `10:30` is not a sexagesimal number, and dates stay text so that
licite parses them itself with its own time-zone rules. A duplicate key is an
error, not a silent overwrite, in YAML and in JSON (a duplicated `at` would
otherwise change a decision unseen). YAML anchors and aliases (`&a`, `*a`) are
refused: no case needs them, and nine lines of them expand to billions of
values (an "alias bomb"). Errors name the line and column, and show values cut
short.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from licite.errors import InvalidInput, shown
from licite.i18n import Text


class DuplicateKey(Exception):  # not a ValueError: json's scanner must not swallow it
    """A JSON object names the same key twice."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """json's object_pairs_hook: the object, unless a key comes twice."""
    mapping = dict(pairs)
    if len(mapping) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKey(key)
            seen.add(key)
    return mapping


def duplicate_key_text(key: str) -> Text:
    return Text(f"clé {shown(key)} en double", f"duplicate key {shown(key)}")


class _Loader(yaml.CSafeLoader):  # libyaml's parser: PyYAML's wheels carry it
    """SafeLoader with YAML 1.2 core-schema scalars, duplicate-key detection, no aliases."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        # A node met a second time is an alias of an anchored one (the composer shares it).
        if node in self.constructed_objects or node in self.recursive_objects:
            mark = node.start_mark
            raise InvalidInput(
                Text(
                    f"ligne {mark.line + 1}, colonne {mark.column + 1} : les ancres et alias"
                    " YAML (&nom, *nom) ne sont pas acceptés ; écrivez la valeur",
                    f"line {mark.line + 1}, column {mark.column + 1}: YAML anchors and aliases"
                    " (&name, *name) are not accepted; write the value out",
                )
            )
        return super().construct_object(node, deep)


_Loader.yaml_implicit_resolvers = {}
_CORE_SCALARS: list[tuple[str, str, str]] = [
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", "~nN"),
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:int", r"^(?:-?(?:0|[1-9][0-9]*))$", "-0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"^-?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$",
        "-.0123456789",
    ),
]
for _tag, _pattern, _first in _CORE_SCALARS:
    _Loader.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))
_Loader.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^$"), [""])


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            mark = key_node.start_mark
            where = Text(
                f"ligne {mark.line + 1}, colonne {mark.column + 1} : ",
                f"line {mark.line + 1}, column {mark.column + 1}: ",
            )
            raise InvalidInput(where + duplicate_key_text(key))
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse_text(text: str, *, name: str = "<input>", as_json: bool = False) -> Any:
    """The value a YAML or JSON document holds; InvalidInput with line and column otherwise."""
    try:
        if as_json:
            return json.loads(text, object_pairs_hook=unique_keys)
        return yaml.load(text, Loader=_Loader)
    except DuplicateKey as error:
        raise InvalidInput(
            Text(f"{name} : ", f"{name}: ") + duplicate_key_text(error.key)
        ) from None
    except json.JSONDecodeError as error:
        raise InvalidInput(
            Text(
                f"{name} : JSON illisible ligne {error.lineno}, colonne {error.colno}"
                f" : {error.msg}",
                f"{name}: unreadable JSON at line {error.lineno}, column {error.colno}"
                f": {error.msg}",
            )
        ) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where_fr = where_en = ""
        if mark is not None:
            where_fr = f" ligne {mark.line + 1}, colonne {mark.column + 1}"
            where_en = f" at line {mark.line + 1}, column {mark.column + 1}"
        problem = error.problem or "syntax error"
        raise InvalidInput(
            Text(
                f"{name} : YAML illisible{where_fr} : {problem}",
                f"{name}: unreadable YAML{where_en}: {problem}",
            )
        ) from None
    except yaml.YAMLError as error:
        raise InvalidInput(
            Text(f"{name} : YAML illisible : {error}", f"{name}: unreadable YAML: {error}")
        ) from None
    except RecursionError:
        raise InvalidInput(
            Text(f"{name} : imbrication trop profonde", f"{name}: nesting too deep")
        ) from None


def read_document(path: Path) -> Any:
    """Parse a YAML or JSON file (JSON when its name ends in .json)."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise InvalidInput(
            Text(
                f"{path} : lecture impossible ({error.strerror})",
                f"{path}: cannot be read ({error.strerror})",
            )
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidInput(
            Text(
                f"{path} : n'est pas en UTF-8 (octet {error.start})",
                f"{path}: is not UTF-8 (byte {error.start})",
            )
        ) from None
    return parse_text(text, name=str(path), as_json=path.suffix.lower() == ".json")
