"""The runs comparison page in headless Chromium: it fits 1,400 px, and no two chart labels overlap."""
from __future__ import annotations

from pathlib import Path

import pytest

from envdoctor import runs
from envdoctor.runs import RunRecord

pytestmark = pytest.mark.browser

# Every <text> box of every chart, measured by the browser, and the pairs that intersect.
OVERLAPS = """
const hits = [];
document.querySelectorAll('svg').forEach((svg, n) => {
  const boxes = [...svg.querySelectorAll('text')].map(t => [t.textContent, t.getBoundingClientRect()]);
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const [a, p] = boxes[i], [b, q] = boxes[j];
    if (p.left < q.right && q.left < p.right && p.top < q.bottom && q.top < p.bottom) hits.push([n, a, b]);
  }
});
return hits;
"""


def _sweep() -> list[RunRecord]:
    """A batch-size sweep (8..1024, crowded at the low end) whose accuracies differ by little,
    and a second example whose two parameters both vary (long bar labels)."""
    made = []
    for i, batch in enumerate((8, 16, 32, 64, 128, 256, 512, 1024)):
        made.append(RunRecord(f"20261122-0100{i:02d}-aa{i:02d}", "graphcore", "sdk-3.3.0", "mnist", target="sim",
                              params={"batch_size": batch, "epochs": 1}, start=f"2026-11-22T01:00:{i:02d}+00:00",
                              end=f"2026-11-22T01:01:{i:02d}+00:00", duration_s=60.0 + i, status="ok",
                              metrics={"accuracy": 87.5 + i * 0.18, "throughput": 1000.0 + 37.5 * i},
                              series={"loss": [2.3 / (1 + step * (i + 1) / 10) for step in range(40)]}))
    for i in range(6):
        made.append(RunRecord(f"20261122-0200{i:02d}-bb{i:02d}", "sambanova", "sn30", "bert-large", target="sim",
                              params={"ntasks": 16 // (1 + i % 2), "compile_dir_name": f"out_{'x' * 20}_{i}"},
                              start=f"2026-11-22T02:00:{i:02d}+00:00", duration_s=3.2 + i, status="ok",
                              metrics={"samples_per_sec": 1234.5678 + i * 100.0}))
    for r in made:
        runs.save(r)
    return made


@pytest.mark.parametrize("width", [1400, 1920])
def test_runs_page_fits_and_labels_never_overlap(browser, cli, tmp_path: Path, width: int) -> None:
    _sweep()
    page = tmp_path / "runs.html"
    rc, _, err = cli("runs", "compare", "--html", str(page))
    assert rc == 0, err
    browser.set_window_size(width, 1000)
    browser.get(page.as_uri())
    assert browser.execute_script("return document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    assert len(browser.find_elements("css selector", "section")) == 2
    assert browser.execute_script(OVERLAPS) == []
    legend = browser.find_elements("css selector", ".legend li")
    assert len(legend) == 8 and legend[0].text.endswith("batch_size=8"), "one loss curve per run of the sweep"


def test_y_axis_is_fitted_to_close_values(browser, cli, tmp_path: Path) -> None:
    _sweep()
    page = tmp_path / "runs.html"
    cli("runs", "compare", "--html", str(page))
    browser.get(page.as_uri())
    figure = next(f for f in browser.find_elements("css selector", "figure")
                  if f.find_element("css selector", "figcaption").text.startswith("accuracy"))
    ticks = [float(t.text) for t in figure.find_elements("css selector", "text.tick")]
    assert ticks and min(ticks) > 80, "87.5 against 88.76 must not be drawn from 0"
