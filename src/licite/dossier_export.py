"""`licite ledger export --format json|html|pdf`: the access-request dossier, written out.

The file named by `--out` is created, never replaced: licite does not overwrite
what it did not write.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import click

from licite.access_dossier import access_dossier
from licite.dossier_html import dossier_html
from licite.errors import InvalidInput
from licite.i18n import Lang, Text
from licite.ledger.ledger import Ledger
from licite.pdf import pdf_bytes


def render_dossier(
    ledger: Ledger, person_id: str, form: str, lang: Lang, at: datetime | None
) -> str | bytes:
    content = access_dossier(ledger, person_id, at=at, lang=lang)
    if form == "json":
        return json.dumps({"lang": lang, **content}, ensure_ascii=False, indent=2)
    html = dossier_html(content, lang)
    return pdf_bytes(html) if form == "pdf" else html


def deliver(document: str | bytes, out: Path | None) -> None:
    """Print the document, or write it to a new file `out`."""
    if out is None:
        click.echo(document)
        return
    data = document.encode("utf-8") if isinstance(document, str) else document
    try:
        with out.open("xb") as handle:
            handle.write(data)
    except FileExistsError:
        raise InvalidInput(
            Text(
                f"--out : {out} existe déjà ; licite ne remplace pas un fichier",
                f"--out: {out} already exists; licite does not replace a file",
            )
        ) from None
    except OSError as error:
        raise InvalidInput(
            Text(
                f"--out : {out} ne peut être écrit ({error.strerror})",
                f"--out: {out} cannot be written ({error.strerror})",
            )
        ) from None
