"""The PDF tests need WeasyPrint's system libraries (Debian's libpango-1.0-0 and
libpangoft2-1.0-0): skipped, with the reason, where they are missing; a failure under
CI=true, where .ci/run installs them."""

from __future__ import annotations

import os

import pytest


def require_pdf() -> None:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as error:
        reason = f"WeasyPrint cannot load (install libpango-1.0-0 libpangoft2-1.0-0): {error}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
