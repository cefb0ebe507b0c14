"""Screenshots of every main view, taken in Debian's Chromium against a real `streamlit run app.py`
(`make screenshots`). The README shows the ones under docs/screenshots/.

    python scripts/screenshots.py [--out docs/screenshots]

Views: the 2D editor, the boundary animation with its metric panels, the side-by-side and comparison
table, the σ×η sweep, the information view, the paper's Figure 2, and the images page's map, plane view
and per-image probabilities.
"""
from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from explorer.bench.browser import chromium, serve_app, wait_idle  # noqa: E402

LINK = "ds=moons&d.samples=200&f=17,42,88&cmp=neggrad,scrub"
CHART = '[data-testid="stPlotlyChart"]'


def shoot(locator, path: Path) -> None:
    locator.scroll_into_view_if_needed()
    locator.screenshot(path=str(path))
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def two_d(page, url: str, out: Path) -> None:
    page.goto(f"{url}/?{LINK}")
    page.get_by_text(re.compile(r"Forget set: \d+ points?")).wait_for()
    wait_idle(page)
    shoot(page.locator(CHART).first, out / "editor.png")
    page.get_by_role("button", name="Unlearn").click()
    page.get_by_text("How the boundary moves under").wait_for()
    wait_idle(page)
    player = page.locator(CHART).nth(1)
    player.locator("g.updatemenu-button").first.click()  # ▶ Play, then a still frame mid-way
    page.wait_for_timeout(2500)
    shoot(player, out / "animation.png")
    shoot(page.locator(CHART).nth(2), out / "side_by_side.png")
    table = page.locator('[data-testid="stDataFrame"]').first
    shoot(table, out / "comparison.png")
    page.get_by_text("σ×η sweep: where does JiT work").click()
    page.get_by_role("button", name="Run sweep").click()
    sweep = page.locator(CHART).filter(has_text="JiT over σ×η").first
    sweep.wait_for(timeout=600_000)
    wait_idle(page)
    shoot(sweep, out / "sweep.png")
    info = page.locator(CHART).filter(has_text="before (original model)").first
    shoot(info, out / "information.png")
    page.get_by_role("tab", name="Paper Figure 2").click()
    page.get_by_role("button", name="Show Figure 2").click()
    fig2 = page.locator(CHART).filter(has_text="high-information").first
    fig2.wait_for(timeout=600_000)
    wait_idle(page)
    shoot(fig2, out / "figure2.png")


def images(page, url: str, out: Path) -> None:
    page.goto(f"{url}/images")
    page.get_by_text("test accuracy").first.wait_for(timeout=300_000)
    wait_idle(page)
    shoot(page.locator(CHART).filter(has=page.locator("g.scatterlayer")).first, out / "images_map.png")
    page.get_by_role("tab", name="By class").click()
    page.get_by_role("button", name="Forget this class").click()
    page.get_by_text(re.compile(r"Forget set: [1-9]\d* images?")).wait_for()
    page.get_by_role("button", name="Unlearn").click()
    plane = page.locator(CHART).filter(has_text="plane through forgotten image").first
    plane.wait_for(timeout=600_000)
    wait_idle(page)
    shoot(plane, out / "images_plane.png")
    bars = page.locator(CHART).filter(has_text=re.compile(r"Forgotten image #\d+ \(class"))  # not the plane's title
    shoot(bars.first, out / "images_probabilities.png")


def lessons(page, url: str, out: Path) -> None:
    """The paper's Figure 3 as the sigmoid lesson runs it, and a lesson step in classroom mode."""
    page.goto(f"{url}/lessons?lesson=sigmoid&step=2")
    page.locator('[data-testid="stRadio"] [role="radiogroup"] label').nth(1).click()
    page.get_by_role("button", name="Check my prediction").click()
    fig3 = page.locator(CHART).filter(has_text="one run per forget point").first
    fig3.wait_for(timeout=600_000)
    wait_idle(page)
    shoot(fig3, out / "figure3.png")
    page.goto(f"{url}/?lesson=forgetting&step=2&classroom=1")
    page.get_by_role("button", name="Check my prediction").wait_for()
    wait_idle(page)
    page.screenshot(path=str(out / "lesson_classroom.png"))
    print(f"wrote {out / 'lesson_classroom.png'}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    args = parser.parse_args(argv)
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    with serve_app(Path(tempfile.gettempdir()) / "explorer-screenshots.log") as (url, _), chromium() as browser:
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, device_scale_factor=1)
        page = context.new_page()
        page.set_default_timeout(300_000)
        two_d(page, url, out)
        images(page, url, out)
        lessons(page, url, out)
        context.close()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except RuntimeError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
