"""The scanner against the guard's hosted sign-in pages, through their HTML forms."""

from __future__ import annotations

import httpx

from dynaguard.scan.oracle import refused

SIGN_IN = ("http://127.0.0.1:8000/ui/sign-in",)


def _redirect(location: str, status: int = 303) -> httpx.Response:
    return httpx.Response(status, headers={"location": location},
                          request=httpx.Request("GET", "http://127.0.0.1:8000/ui/account"))


def test_a_redirect_to_the_sign_in_form_is_a_refusal() -> None:
    assert refused(_redirect("/ui/sign-in?return_to=%2Fui%2Faccount"), SIGN_IN)
    assert refused(httpx.Response(401), SIGN_IN)
    # Anywhere else, on another origin, or without a sign-in form known: not a refusal.
    assert not refused(_redirect("/ui/account/welcome"), SIGN_IN)
    assert not refused(_redirect("http://127.0.0.1:9999/ui/sign-in"), SIGN_IN)
    assert not refused(_redirect("/ui/sign-in"), ())
    assert not refused(httpx.Response(200), SIGN_IN)
