"""Reading the pages' form posts strictly, after the cross-site checks.

Security-sensitive (CWE-352): a state-changing post is refused unless (1) the browser's
``Sec-Fetch-Site`` says same-origin (or is absent: not every client sends it), (2) an
``Origin`` header, when sent, is this service's own, and (3) the form's ``csrf`` field is
the token bound to the browser's current cookie. Bodies are URL-encoded, bounded, and hold
only the expected fields, each once.
"""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import parse_qsl, urlsplit

from starlette.requests import Request

from dynaguard.guard.ui.cookie import BrowserState, CookieKeys

__all__ = ["Form", "FormRefused", "read_form", "same_origin"]

FORM_LIMIT = 64 * 1024
FORM_TYPE = "application/x-www-form-urlencoded"
FIELD_LIMIT = 16 * 1024

Form = dict[str, str]


class FormRefused(Exception):
    """The post cannot be used; ``status`` and ``message`` say why, in words for a person."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def same_origin(request: Request, public_url: str) -> bool:
    """Whether the browser says this post comes from a page of this service."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return False
    own = _own_origins(request, public_url)
    origin = request.headers.get("origin")
    if origin is None:
        referer = request.headers.get("referer")
        return referer is None or _origin_of(referer) in own
    return origin.lower() in own


def _own_origins(request: Request, public_url: str) -> set[str]:
    return {_origin_of(str(request.base_url)), _origin_of(public_url)}


async def read_form(
    request: Request, state: BrowserState, keys: CookieKeys, public_url: str, *,
    fields: Collection[str], optional: Collection[str] = (),
) -> Form:
    """The checked form: ``fields`` (all required) and ``optional`` ones, csrf verified."""
    if not same_origin(request, public_url):
        raise FormRefused(403, "This form was sent from another site, so it was refused.")
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != FORM_TYPE:
        raise FormRefused(415, "The form was not sent as a web form.")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > FORM_LIMIT:
            raise FormRefused(413, "The form is too large.")
    allowed = {"csrf", *fields, *optional}
    try:
        pairs = parse_qsl(bytes(body).decode("ascii"), keep_blank_values=True,
                          errors="strict", max_num_fields=len(allowed))
    except ValueError:  # not ASCII, bad UTF-8 once decoded, or too many fields
        raise FormRefused(400, "The form could not be read.") from None
    form: Form = {}
    for name, value in pairs:
        if name not in allowed or name in form or len(value) > FIELD_LIMIT:
            raise FormRefused(400, "The form could not be read.")
        form[name] = value
    if not {"csrf", *fields} <= set(form):
        raise FormRefused(400, "The form could not be read.")
    if state.fresh or not keys.csrf_matches(state.value, form["csrf"]):
        raise FormRefused(403, "This form has expired (or was sent from another site). "
                               "Reload the page and try again.")
    return form
