"""The dashboard and the HTML report as a person sees them: headless Debian chromium."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page
from tests.dashboard.conftest import TARGET

from dynaguard.history import History
from dynaguard.scan.report.formats import render_as

DOCS_SCREENSHOT = Path(__file__).parents[2] / "docs" / "img" / "dashboard.png"


@pytest.fixture
def trouble() -> list[str]:
    """What the page reported: dialogs (a script ran) and console errors (the CSP refused)."""
    return []


@pytest.fixture
def page(browser: Browser, trouble: list[str]) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()

    def dialog(shown: Dialog) -> None:
        trouble.append(f"dialog: {shown.message}")
        shown.dismiss()

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            trouble.append(f"console: {message.text}")

    opened.on("dialog", dialog)
    opened.on("console", console)
    yield opened
    context.close()


def no_script_ran(page: Page, trouble: list[str]) -> None:
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator("script").count() == 0
    assert trouble == []


def test_target_chart_has_a_point_per_scan(
        page: Page, trouble: list[str], dashboard_url: str, tmp_path: Path) -> None:
    """Two scans of a target: two points on its chart, oldest left, the better score higher."""
    page.goto(f"{dashboard_url}/target?url={quote(TARGET, safe='')}")
    points = page.locator("svg.chart circle.point")
    assert points.count() == 2
    scores = [points.nth(i).get_attribute("data-score") for i in range(2)]
    assert scores == ["62", "81"]
    (x1, y1), (x2, y2) = (
        (float(points.nth(i).get_attribute("cx") or "nan"),
         float(points.nth(i).get_attribute("cy") or "nan")) for i in range(2))
    assert x1 < x2
    assert y2 < y1  # 81 is drawn above 62
    assert page.locator("svg.chart polyline.line").count() == 1
    page.screenshot(path=tmp_path / "target.png", full_page=True)
    assert (tmp_path / "target.png").stat().st_size > 10_000
    no_script_ran(page, trouble)


def test_index_lists_targets_each_with_its_chart(
        page: Page, trouble: list[str], dashboard_url: str, tmp_path: Path) -> None:
    page.goto(dashboard_url)
    cards = page.locator("article.target")
    assert cards.count() == 2
    ours = cards.filter(has_text=TARGET)
    assert ours.locator("circle.point").count() == 2
    assert ours.locator(".grade").inner_text() == "B"
    assert cards.filter(has_text="/other").locator("circle.point").count() == 1
    page.screenshot(path=tmp_path / "index.png", full_page=True)
    assert (tmp_path / "index.png").stat().st_size > 10_000
    if os.environ.get("DYNAGUARD_UPDATE_DOCS_SCREENSHOT"):  # refreshes the docs page's picture
        page.screenshot(path=DOCS_SCREENSHOT, clip={"x": 0, "y": 0, "width": 1280, "height": 680})
    no_script_ran(page, trouble)


def test_diff_view_shows_new_fixed_unchanged_and_the_delta(
        page: Page, trouble: list[str], dashboard_url: str, tmp_path: Path) -> None:
    page.goto(f"{dashboard_url}/target?url={quote(TARGET, safe='')}")
    page.get_by_role("button", name="Compare").click()
    page.wait_for_url("**/diff?before=1&after=3")
    assert page.locator("#delta").inner_text() == "+19"
    assert "delta-up" in (page.locator("#delta").get_attribute("class") or "")
    new, fixed, same = (page.locator(f"#{s} .finding-title") for s in ("new", "fixed",
                                                                     "unchanged"))
    assert new.all_inner_texts() == [
        "Login tells accounts apart <script>window.__xss=1</script>"
        "<img src=x onerror=\"window.__xss=2\">"]
    assert fixed.all_inner_texts() == ["Another user's note is readable"]
    assert same.all_inner_texts() == ["Session survives logout"]
    page.locator("#new summary").click()
    assert page.locator("#new pre.evidence").inner_text().count("<script>") == 1
    page.screenshot(path=tmp_path / "diff.png", full_page=True)
    no_script_ran(page, trouble)


def test_findings_grouped_by_cwe_owasp_and_soc2(
        page: Page, trouble: list[str], dashboard_url: str, tmp_path: Path) -> None:
    page.goto(f"{dashboard_url}/scans/3")
    assert page.locator("#grade").inner_text() == "B"
    groups = page.locator("section.group h3")
    assert [t.split(" · ")[0] for t in groups.all_inner_texts()] == ["CWE-204", "CWE-613"]
    page.get_by_role("link", name="OWASP API Top 10").click()
    assert page.locator("section.group").count() == 1
    assert "API2:2023 · Broken Authentication (2)" in page.locator("section.group h3").inner_text()
    page.get_by_role("link", name="SOC 2 control").click()
    keys = [k.get_attribute("data-group") for k in page.locator("section.group").all()]
    assert keys == ["CC6.1", "CC6.2"]
    card = page.locator("section.group[data-group='CC6.1'] details.finding")
    card.locator("summary").click()
    assert "</pre><script>" in card.locator("pre.evidence").inner_text()
    assert card.locator("p.remediation").inner_text().startswith("Answer the same way <script>")
    page.screenshot(path=tmp_path / "scan.png", full_page=True)
    no_script_ran(page, trouble)


def test_html_report_opens_and_shows_the_grade(
        page: Page, trouble: list[str], history: History, tmp_path: Path) -> None:
    result = history.get(3)
    assert result is not None
    report = tmp_path / "report.html"
    report.write_text(render_as(result, "html"), encoding="utf-8")
    page.goto(report.as_uri())
    assert page.locator("#grade").inner_text() == "B"
    assert page.locator("#grade").is_visible()
    assert "grade B" in page.title()
    assert page.locator("article.finding").count() == 2
    page.screenshot(path=tmp_path / "report.png", full_page=True)
    no_script_ran(page, trouble)
