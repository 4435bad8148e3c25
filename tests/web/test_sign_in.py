"""Signing in by pasting a bearer token: the role and subject are shown; signing out forgets it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.web.support import expect, token


def test_sign_in_shows_the_role_and_subject_and_sign_out_forgets_the_token(open_page: Any, shot: Any) -> None:
    page = open_page("/app/sign-in")
    expect(page.locator("#sign-in-link")).to_be_visible()

    page.locator("#token").fill("not a token")
    page.locator("#sign-in-form button[type=submit]").click()
    expect(page.locator("#sign-in-error")).to_contain_text("This is not a bearer token")
    expect(page.locator("#token")).to_have_attribute("aria-invalid", "true")

    page.locator("#token").fill(token("auditor", "auditor-grace", ttl=timedelta(minutes=-1)))
    page.locator("#sign-in-form button[type=submit]").click()
    expect(page.locator("#sign-in-error")).to_contain_text("This token has expired")

    page.locator("#token").fill(token("auditor", "auditor-grace"))
    expect(page.locator("#token-preview")).to_contain_text("This token is for auditor-grace as auditor")
    page.locator("#sign-in-form button[type=submit]").click()
    expect(page.locator("#claim-subject")).to_have_text("auditor-grace")
    expect(page.locator("#claim-role")).to_have_text("auditor")
    expect(page.locator("#who-subject")).to_have_text("auditor-grace")
    expect(page.locator("#who-role")).to_have_text("auditor")
    expect(page.locator("#continue-link")).to_have_attribute("href", "/app/auditor")
    assert page.evaluate("localStorage.getItem('auction.token')").count(".") == 2
    shot(page, "sign-in")

    page.goto("/")
    expect(page.locator("#who-subject")).to_have_text("auditor-grace")
    page.locator("#sign-out").click()
    expect(page.locator("#sign-in-link")).to_be_visible()
    assert page.evaluate("localStorage.getItem('auction.token')") is None
