"""Where the sign-in page may send a user on (its ``next``): a path on this site, never elsewhere.

``/app/sign-in?next=...`` is where a page sends a user who must sign in, to come back after.
A ``next`` that a browser would resolve to another origin makes the trusted sign-in page a
springboard to a look-alike site (an open redirect): ``//evil.example/x`` (scheme-relative),
``/\\evil.example/x`` (browsers read a backslash as a slash) and ``/<TAB>/evil.example/x``
(browsers drop tabs and newlines from URLs) all leave the site. So a ``next`` is accepted only
as a path that starts with exactly one ``/``, holds no backslash, no control character and no
white space once decoded, and is not the sign-in page itself. The page's script applies the
same rule (``static/js/sign-in.js``) and checks the resolved URL's origin besides; the server
answers a sign-in page asked with any other ``next`` with a redirect to the page without it.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

SIGN_IN = "/app/sign-in"
# C0 controls, space, DEL, C1 controls, the backslash, and any other white space.
_UNSAFE = re.compile(r"[\x00-\x20\x7f-\x9f\\\s]")


def safe_next(value: str) -> bool:
    """True when ``value`` (decoded) is a path on this site the sign-in page may continue to."""
    return (
        value.startswith("/")
        and not value.startswith("//")
        and _UNSAFE.search(value) is None
        and not value.startswith(SIGN_IN)
    )


def refuse_foreign_next(request: Request, headers: dict[str, str]) -> Response | None:
    """A redirect to the sign-in page without its ``next`` when that ``next`` is not :func:`safe_next`."""
    values = request.query_params.getlist("next")
    if not values or (len(values) == 1 and safe_next(values[0])):
        return None
    return RedirectResponse(SIGN_IN, status_code=303, headers=headers)
