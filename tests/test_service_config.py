"""The service's settings come from the environment; a bad value stops it, naming the
variable and the value, before anything listens."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from licite.commands import cli
from licite.errors import InvalidInput
from licite.service.config import Settings


def test_defaults_and_values() -> None:
    assert Settings.from_environ({}) == Settings(environ={})
    read = Settings.from_environ(
        {
            "LICITE_SERVE_PORT": "9000",
            "LICITE_SERVE_WORKERS": "2",
            "LICITE_LANG": "en_GB",
            "LICITE_SCRUB_DIR": "/srv/scrub",
            "LICITE_LOG_LEVEL": "WARNING",
        }
    )
    assert (read.port, read.workers, read.lang, read.log_level) == (9000, 2, "en", "warning")
    assert read.scrub_dir == Path("/srv/scrub")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LICITE_SERVE_PORT", "eighty"),
        ("LICITE_SERVE_PORT", "70000"),
        ("LICITE_SERVE_WORKERS", "0"),
        ("LICITE_LOG_LEVEL", "chatty"),
        ("LICITE_BATCH_MAX", "-1"),
    ],
)
def test_a_bad_value_names_the_variable_and_the_value(name: str, value: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        Settings.from_environ({name: value})
    assert name in caught.value.text.en and repr(value) in caught.value.text.en
    assert name in caught.value.text.fr and repr(value) in caught.value.text.fr


def test_serve_refuses_to_start_on_a_bad_value(tmp_path: Path) -> None:
    done = CliRunner().invoke(
        cli,
        ["--lang", "en", "serve"],
        env={"LICITE_SERVE_WORKERS": "many", "LICITE_DATABASE_URL": f"sqlite:///{tmp_path}/l.db"},
    )
    assert done.exit_code == 2
    assert "LICITE_SERVE_WORKERS" in done.output and "'many'" in done.output
