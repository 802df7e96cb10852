"""Signing in to the DPO's dashboard from a browser: a named admin key, then a session.

A browser cannot send `Authorization: Bearer …` by itself, so the dashboard also opens with
a session: the DPO pastes their admin key once into `/dpo/login` (a key made for them,
`licite keys create --scope admin --name "Claire Martin, DPO"`: the name is the account),
and gets a cookie that opens `/dpo` and nothing else.

The cookie, `s1.<key id>.<expiry, Unix seconds>.<HMAC-SHA256, 32 hex digits>`, holds no
secret and no personal data. Its MAC, under the links key with its own domain, also covers
the key's stored SHA-256, so the session is bound to that very key. At every request the key
is read again: a key revoked (`licite keys revoke`) or gone ends its sessions at once, like
its API calls. The cookie is `HttpOnly`, `SameSite=Strict`, scoped to `/dpo`, `Secure`
behind HTTPS, and lasts `SESSION_HOURS`; signing out removes it from the browser.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials

from licite.i18n import Lang, Text
from licite.ledger.ledger import Ledger
from licite.service.context import BEARER, Ctx, guard
from licite.service.keys import ApiKey, authenticate, key_by_id, secret_digest
from licite.service.pages import e, notice, page
from licite.service.person import lang_of

router = APIRouter(tags=["person"])

COOKIE = "licite_dpo"
PATH = "/dpo"
SESSION_HOURS = 8  # a working day: not law, a product choice
_DOMAIN = b"licite/v1/dpo-session\0"
_VERSION = "s1"
_MAC_HEX = 32
FORM_MAX = 1024
"""The sign-in form sends one key (under 100 characters): anything longer is not from it."""

TITLE = Text("Connexion au tableau de bord du DPO", "Sign in to the DPO dashboard")
EXPLAIN = Text(
    "Collez la clé d'administration qui vous a été remise (licite keys create --scope admin"
    " --name …). Elle ouvre une session de {hours} heures sur ce navigateur, pour ce tableau"
    " de bord seulement.",
    "Paste the admin key you were given (licite keys create --scope admin --name …). It opens"
    " a {hours}-hour session in this browser, for this dashboard only.",
)
KEY_LABEL = Text("Clé d'administration", "Admin key")
SIGN_IN = Text("Se connecter", "Sign in")
SIGN_OUT = Text("Se déconnecter", "Sign out")
SIGNED_IN = Text("Connecté en tant que {name}.", "Signed in as {name}.")
SIGNED_OUT = Text("Vous êtes déconnecté.", "You are signed out.")
UNKNOWN = Text(
    "Clé inconnue ou révoquée : aucune session n'a été ouverte.",
    "Unknown or revoked key: no session was opened.",
)
NOT_ADMIN = Text(
    "Cette clé n'a pas la portée admin : elle n'ouvre pas le tableau de bord.",
    "This key does not have the admin scope: it does not open the dashboard.",
)
ENDED = Text(
    "Votre session a expiré ou sa clé a été révoquée : reconnectez-vous.",
    "Your session expired or its key was revoked: sign in again.",
)


def _mac(secret: bytes, key_id: str, expires: int, key_digest: str) -> str:
    message = _DOMAIN + f"{key_id}.{expires}.{key_digest}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:_MAC_HEX]


def make_session(secret: bytes, key_id: str, key_digest: str, now: float | None = None) -> str:
    expires = int(now if now is not None else time.time()) + SESSION_HOURS * 3600
    return f"{_VERSION}.{key_id}.{expires}.{_mac(secret, key_id, expires, key_digest)}"


def read_session(
    secret: bytes, ledger: Ledger, cookie: str, now: float | None = None
) -> ApiKey | None:
    """The admin key a session cookie stands for, if it is one licite made for a key that is
    still an admin key, not revoked, and the session has not expired; else None."""
    parts = cookie.split(".")
    if len(cookie) > 200 or not cookie.isascii() or len(parts) != 4 or parts[0] != _VERSION:
        return None
    _, key_id, expiry, mac = parts
    if not (key_id.isalnum() and expiry.isdigit() and len(expiry) <= 12):
        return None
    found = key_by_id(ledger, key_id)
    if found is None:
        return None
    key, digest = found
    expires = int(expiry)
    if not hmac.compare_digest(mac.encode(), _mac(secret, key_id, expires, digest).encode()):
        return None
    if (now if now is not None else time.time()) >= expires or not key.allows("admin"):
        return None
    return key


def _secret(request: Request) -> bytes:
    key: bytes = request.app.state.licite_person.links_key
    return key


def _suffix(lang: Lang) -> str:
    return "?lang=en" if lang == "en" else ""


_ADMIN = guard("admin")


async def dpo_access(
    request: Request,
    ctx: Ctx,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
) -> ApiKey | None:
    """The admin key of an API call (`Authorization`, refused as every route refuses), or of
    a browser's session; None when a browser has neither (it is shown the sign-in page)."""
    cookie = request.cookies.get(COOKIE)
    if credentials is not None or cookie is None:
        if credentials is None and _wants_html(request):
            return None
        return await _ADMIN(request, ctx, credentials)
    key = read_session(_secret(request), ctx.ledger(), cookie)
    if key is not None:
        request.scope["licite.key"] = key.id
    return key


DpoAccess = Annotated[ApiKey | None, Depends(dpo_access)]


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def sign_in_page(lang: Lang, message: str = "", status: int = 401) -> HTMLResponse:
    form = (
        f'<form method="post" action="{PATH}/login{_suffix(lang)}">'
        f'<p><label for="key">{e(KEY_LABEL(lang))}</label><br>'
        '<input id="key" name="key" type="password" autocomplete="current-password"'
        ' required maxlength="200" size="40"></p>'
        f'<button type="submit">{e(SIGN_IN(lang))}</button></form>'
    )
    body = message + f"<p>{e(EXPLAIN(lang).format(hours=SESSION_HOURS))}</p>" + form
    return page(lang, TITLE, body, status)


def signed_in_bar(key: ApiKey, lang: Lang) -> str:
    """Who is signed in, and the button that ends the session."""
    return (
        f"<p>{e(SIGNED_IN(lang).format(name=key.name or key.id))}</p>"
        f'<form method="post" action="{PATH}/logout{_suffix(lang)}">'
        f'<button type="submit" class="secondary">{e(SIGN_OUT(lang))}</button></form>'
    )


def session_ended(request: Request) -> HTMLResponse:
    """A browser's cookie that no longer opens the dashboard: the sign-in page, and the
    cookie removed."""
    lang = lang_of(request)
    response = sign_in_page(lang, notice(ENDED(lang), refused=True))
    response.delete_cookie(COOKIE, path=PATH)
    return response


@router.get(PATH + "/login", response_class=HTMLResponse, include_in_schema=False)
def login_page(request: Request) -> HTMLResponse:
    return sign_in_page(lang_of(request), status=200)


@router.post(PATH + "/login", response_class=HTMLResponse, include_in_schema=False)
async def login(request: Request, ctx: Ctx) -> Response:
    lang = lang_of(request)
    raw = await request.body()
    presented = ""
    if len(raw) <= FORM_MAX:
        try:
            form = parse_qs(raw.decode("utf-8", "replace"), max_num_fields=5)
        except ValueError:
            form = {}
        presented = form.get("key", [""])[0].strip()
    ledger = ctx.ledger()
    key = authenticate(ledger, presented) if presented else None
    if key is None:
        return sign_in_page(lang, notice(UNKNOWN(lang), refused=True), 401)
    if not key.allows("admin"):
        return sign_in_page(lang, notice(NOT_ADMIN(lang), refused=True), 403)
    request.scope["licite.key"] = key.id
    response = RedirectResponse(PATH + _suffix(lang), status_code=303)
    response.set_cookie(
        COOKIE,
        make_session(_secret(request), key.id, secret_digest(presented)),
        max_age=SESSION_HOURS * 3600,
        path=PATH,
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post(PATH + "/logout", response_class=HTMLResponse, include_in_schema=False)
def logout(request: Request) -> Response:
    lang = lang_of(request)
    response = sign_in_page(lang, notice(SIGNED_OUT(lang)), 200)
    response.delete_cookie(COOKIE, path=PATH)
    return response
