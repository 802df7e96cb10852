"""schemathesis against /openapi.json: whatever it sends within (and around) the published
schema, the service answers no 5xx, with a status, a content type and a body that the
schema declares. Bounded (a few examples an operation) to run in well under a minute."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.test_service_support import service

EXAMPLES = 12
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_the_api_conforms_to_its_schema(tmp_path: Path) -> None:
    with service(f"sqlite:///{tmp_path / 'ledger.db'}", tmp_path) as api:
        headers = api.headers("admin")
        schema = schemathesis.openapi.from_asgi("/openapi.json", api.client.app, headers=headers)
        operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
        assert len(operations) >= 15, [o.label for o in operations]
        seen: list[str] = []
        statuses: dict[str, set[int]] = defaultdict(set)
        for operation in operations:
            seen.append(operation.label)
            _exercise(operation, headers, statuses[operation.label])
        assert "POST /v1/decide" in seen
        # Both sides were exercised: decisions answered, and bad input refused as problems.
        assert 200 in statuses["POST /v1/decide"] or 200 in statuses["GET /v1/rules"], statuses
        assert any(code >= 400 for codes in statuses.values() for code in codes), statuses


def _exercise(operation: Any, headers: dict[str, str], statuses: set[int]) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def exercise(data: st.DataObject) -> None:
        case = data.draw(operation.as_strategy())
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        statuses.add(response.status_code)

    exercise()
