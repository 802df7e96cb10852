"""HTML to PDF through WeasyPrint, the one place licite makes a PDF.

WeasyPrint needs Debian's pango libraries (libpango-1.0-0, libpangoft2-1.0-0);
without them the import fails, and the user is told which, not shown a traceback.
"""

from __future__ import annotations

import logging

from licite.errors import PdfUnavailable
from licite.i18n import Text


def pdf_bytes(html: str) -> bytes:
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as error:
        raise PdfUnavailable(
            Text(
                f"PDF impossible : WeasyPrint ou pango manque ({error}) ;"
                " installer libpango-1.0-0 et libpangoft2-1.0-0",
                f"cannot write a PDF: WeasyPrint or pango is missing ({error});"
                " install libpango-1.0-0 and libpangoft2-1.0-0",
            )
        ) from None
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    data: bytes = HTML(string=html).write_pdf()
    return data
