"""Public-sector basics in Chromium: every page's footer (accessibility statement, privacy notice, terms,
help, contact), the accessibility statement with the deployment's feedback contact, and menus showing
only what the signed-in role can use."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.support import expect


@pytest.mark.parametrize(
    ("role", "links"),
    [
        (None, ["Auctions"]),
        ("bidder", ["Auctions"]),
        ("bailiff", ["Auctions", "Bailiff console", "Auditor"]),
        ("auditor", ["Auctions", "Auditor"]),
    ],
)
def test_the_menu_shows_only_what_the_role_can_use(role: str | None, links: list[str], open_page: Any) -> None:
    page = open_page("/", role, f"menu-{role}" if role else None)
    expect(page.locator("#site-header nav[aria-label='Main'] a")).to_have_text(links)


def test_every_page_has_the_footer_and_the_statement_gives_the_contact(open_page: Any) -> None:
    page = open_page("/app/sign-in")
    footer = page.locator("#site-footer")
    expect(footer.locator("a")).to_have_text(
        ["Accessibility statement", "Privacy notice", "Terms of use", "Help", "Contact"]
    )
    footer.get_by_role("link", name="Accessibility statement").click()
    expect(page.locator("h1")).to_have_text("Accessibility statement")
    for heading in ("Compliance status", "Non-accessible content", "Preparation of this statement",
                    "Feedback and contact information", "Enforcement procedure"):  # fmt: skip
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
    contact = page.locator("#accessibility-contact")
    expect(contact).to_have_text("accessibility@example.org")
    expect(contact).to_have_attribute("href", "mailto:accessibility@example.org")
    expect(page.locator("#site-footer a[aria-current='page']")).to_have_text("Accessibility statement")
