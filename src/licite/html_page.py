"""The page every document licite writes shares: the campaign report and the dossier.

One stylesheet, written for a phone as much as for a desk (390 px and 1280 px):
text wraps, long hashes break anywhere, words in table cells stay whole (a table
too wide scrolls inside its own box rather than the page), and charts are bars of
HTML with their label beside them, so a label is never cut. WeasyPrint reads the
same page to make the PDF.
"""

from __future__ import annotations

from html import escape

from licite.i18n import Lang

STYLE = """
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{font-family:"DejaVu Sans",system-ui,sans-serif;margin:0 auto;padding:1rem;
 max-width:60rem;line-height:1.45;color:#1b1b1b;overflow-wrap:anywhere}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:1.6rem;border-bottom:1px solid #ccc}
h3{font-size:1.05rem}
.box{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border:1px solid #ddd;padding:.3rem .4rem;text-align:left;vertical-align:top;
 overflow-wrap:break-word}
td.n,th.n{text-align:right;white-space:nowrap}
td b,.bar .label{overflow-wrap:normal;word-break:normal;hyphens:manual}
code,.hash{font-family:"DejaVu Sans Mono",monospace;font-size:.8rem;word-break:break-all}
.ok{color:#1d6b2f}.no{color:#a11d1d}.warn{color:#8a5a00;font-weight:bold}
.unknown{color:#666;font-style:italic}
figure{margin:0}
.bar{display:flex;flex-wrap:wrap;align-items:center;gap:.2rem .6rem;margin:.3rem 0}
.bar .label{flex:1 1 14rem;min-width:0}
.bar .track{flex:2 1 10rem;min-width:6rem;background:#eee;height:.9rem}
.bar .fill{background:#3b6ea5;height:100%}
.bar .value{flex:0 0 auto;text-align:right;min-width:5rem}
@media print{body{max-width:none}.box{overflow:visible}}
@page{size:A4;margin:1.5cm}
"""


def page(title: str, body: str, lang: Lang) -> str:
    """A whole HTML document: `body` is already escaped HTML."""
    return (
        f'<!doctype html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body>\n{body}\n</body></html>\n"
    )


def table(headers: list[str], rows: list[list[str]], numeric: frozenset[int] = frozenset()) -> str:
    """A table in its own scrolling box; cells are already escaped HTML."""
    head = "".join(
        f'<th scope="col"{" class=n" if i in numeric else ""}>{h}</th>'
        for i, h in enumerate(headers)
    )
    body = "".join(
        "<tr>"
        + "".join(f"<td{' class=n' if i in numeric else ''}>{c}</td>" for i, c in enumerate(row))
        + "</tr>"
        for row in rows
    )
    return (
        f'<div class="box"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'
    )


def bars(title: str, items: list[tuple[str, int, str]]) -> str:
    """A labelled bar chart: (label, value, value as written) per bar, the figure named."""
    top = max((v for _, v, _ in items), default=0) or 1
    rows = "".join(
        f'<div class="bar" role="listitem"><span class="label">{escape(label)}</span>'
        f'<span class="track" aria-hidden="true"><span class="fill" style="display:block;'
        f'width:{100 * value / top:.1f}%"></span></span>'
        f'<span class="value">{escape(text)}</span></div>'
        for label, value, text in items
    )
    return (
        f'<figure class="chart" aria-label="{escape(title)}"><figcaption>{escape(title)}'
        f'</figcaption><div role="list">{rows}</div></figure>'
    )
