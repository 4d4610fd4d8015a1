"""Mail: the SMTP transport against a real SMTP server on loopback, and the templates."""

from __future__ import annotations

import pytest
from jinja2 import UndefinedError

from dynaguard.guard.letters import TEMPLATES, render_letter
from dynaguard.settings import Settings
from tests.conftest import mail_text
from tests.guard.recovery.conftest import SmtpSink, add_user, running, token_from


async def test_recovery_mails_travel_over_smtp(settings: Settings, smtp_sink: SmtpSink) -> None:
    """With DYNAGUARD_MAIL_URL=smtp://…, the reset link and the notice arrive at a real
    SMTP server as text + HTML, and the mailed token works."""
    smtp_settings = settings.model_copy(update={
        "mail_url": f"smtp://127.0.0.1:{smtp_sink.port}",
        "public_url": "https://auth.example.test/",
    })
    async with running(smtp_settings) as harness:
        svc = harness.svc
        user = await add_user(harness)
        r = await harness.client.post("/auth/password/forgot", json={"email": user.email})
        assert r.status_code == 202
        await svc.drain_mail()
        assert smtp_sink.recipients == [[user.email]]
        (mail,) = smtp_sink.messages
        assert mail["Subject"] == "Reset your password"
        assert mail.get_content_type() == "multipart/alternative"
        assert [p.get_content_type() for p in mail.get_payload()] == ["text/plain", "text/html"]
        token = token_from(mail)
        link = f"https://auth.example.test/auth/pages/password-reset?token={token}"
        assert link in mail_text(mail)

        r = await harness.client.post("/auth/password/reset", json={
            "token": token, "new_password": "saffron-harbor-kettle-8802"})
        assert r.status_code == 204
        await svc.drain_mail()
        assert [m["Subject"] for m in smtp_sink.messages][1:] == ["Your password was changed"]


def _template_names() -> list[str]:
    return sorted(p.stem for p in TEMPLATES.glob("*.txt"))


@pytest.mark.parametrize("name", _template_names())
def test_every_mail_has_text_and_html(name: str) -> None:
    """Each template renders both parts; a token, when the mail has one, is in both."""
    context = {"service": "dynaguard", "link": "https://x.test/a?token=T0K3N", "token": "T0K3N",
               "hours": 24, "minutes": 20, "reset": True, "new_email": "n***@example.org"}
    letter = render_letter(name, **context)
    assert letter.subject
    assert letter.subject in letter.html
    assert "<html" in letter.html
    assert "<" not in letter.text.replace("<token>", "")
    if "T0K3N" in letter.text:
        assert "\nToken: T0K3N\n" in letter.text
        assert "T0K3N" in letter.html


def test_html_part_escapes_values_and_text_part_keeps_them() -> None:
    letter = render_letter("email_changed", service="dynaguard", new_email="<b>x</b>@example.org")
    assert "&lt;b&gt;x&lt;/b&gt;@example.org" in letter.html
    assert "<b>x</b>@example.org" in letter.text


def test_a_missing_value_is_an_error_not_a_blank() -> None:
    with pytest.raises(UndefinedError, match="token"):
        render_letter("password_reset", service="dynaguard", link="https://x.test", minutes=20)
