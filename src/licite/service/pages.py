"""The person's pages: server-rendered HTML, no script, readable on a phone, by keyboard.

Every value is escaped here (`html.escape`) and nowhere else; each page has its language,
a title, one `main` landmark and one `h1`; controls are real buttons inside forms, with
labels a screen reader reads out. Texts come in French and English (`Text`).
"""

from __future__ import annotations

from html import escape

from fastapi.responses import HTMLResponse

from licite.i18n import Lang, Text

_STYLE = """
body{font:1rem/1.5 system-ui,sans-serif;margin:0;color:#1a1a1a;background:#fff}
main{max-width:40rem;margin:0 auto;padding:1rem}
h1{font-size:1.5rem}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.5rem;border-bottom:1px solid #bbb;vertical-align:top}
button{font:inherit;padding:.5rem 1rem;border:2px solid #1a4d8f;background:#1a4d8f;color:#fff;
border-radius:.25rem;cursor:pointer}
button.secondary{background:#fff;color:#1a4d8f}
input[type=password]{font:inherit;padding:.5rem;border:1px solid #555;border-radius:.25rem;
width:100%;max-width:28rem;box-sizing:border-box}
input:focus-visible{outline:3px solid #c60;outline-offset:2px}
button:focus-visible,a:focus-visible{outline:3px solid #c60;outline-offset:2px}
a{color:#1a4d8f}
.notice{padding:.75rem;border-left:4px solid #1a4d8f;background:#eef3fa}
.refused{border-left-color:#a00;background:#fbeeee}
@media (max-width:30rem){th,td{display:block;border:0;padding:.25rem 0}tr{display:block;
border-bottom:1px solid #bbb;padding:.5rem 0}thead{display:none}}
"""


def e(text: object) -> str:
    return escape(str(text), quote=True)


def page(lang: Lang, title: Text, body: str, status: int = 200) -> HTMLResponse:
    """A whole page around `body` (already escaped HTML)."""
    html = (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        '<meta name="robots" content="noindex">'
        f"<title>{e(title(lang))}</title><style>{_STYLE}</style></head>"
        f"<body><main><h1>{e(title(lang))}</h1>{body}</main></body></html>"
    )
    # A link is a credential: the page is never cached nor its address sent elsewhere.
    headers = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    return HTMLResponse(html, status_code=status, headers=headers)


def notice(text: str, refused: bool = False) -> str:
    role = ' role="alert"' if refused else ' role="status"'
    return f'<p class="notice{" refused" if refused else ""}"{role}>{e(text)}</p>'


def button_form(action: str, label: str, fields: dict[str, str], secondary: bool = False) -> str:
    hidden = "".join(
        f'<input type="hidden" name="{e(k)}" value="{e(v)}">' for k, v in fields.items()
    )
    kind = ' class="secondary"' if secondary else ""
    target = f' action="{e(action)}"' if action else ""  # none: this page's own address
    return (
        f'<form method="post"{target}>{hidden}'
        f'<button type="submit"{kind}>{e(label)}</button></form>'
    )


REFUSED = {
    "forged": (
        403,
        Text(
            "Ce lien n'est pas valide : il a été modifié ou n'a pas été émis par l'expéditeur."
            " Rien n'a été changé.",
            "This link is not valid: it was altered or not issued by the sender."
            " Nothing was changed.",
        ),
    ),
    "expired": (
        410,
        Text(
            "Ce lien a expiré. Rien n'a été changé. Utilisez le lien d'un message plus récent,"
            " ou écrivez à l'expéditeur pour vous opposer à ses messages.",
            "This link has expired. Nothing was changed. Use the link of a more recent message,"
            " or write to the sender to object to its messages.",
        ),
    ),
    "unknown": (
        404,
        Text(
            "Ce lien ne correspond à aucune personne enregistrée. Rien n'a été changé.",
            "This link matches no recorded person. Nothing was changed.",
        ),
    ),
}

REFUSED_TITLE = Text("Lien refusé", "Link refused")


def refused(lang: Lang, reason: str) -> HTMLResponse:
    status, text = REFUSED[reason]
    return page(lang, REFUSED_TITLE, notice(text(lang), refused=True), status)
