"""The class page in a real headless browser (Debian's chromium, driven by selenium + chromedriver)."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from classroom_data import PLANTED, write_report

pytestmark = pytest.mark.browser  # the `browser` fixture (headless chromium) is in tests/conftest.py


def _page(tmp_path: Path, cli) -> Path:
    share = tmp_path / "share"
    for (user, platform), faults in PLANTED.items():
        write_report(share, user, platform, faults)
    (share / "eve").mkdir()
    (share / "eve" / "groq.json").write_text('{"schema": "envdoctor/check-report@1", "platform": "gr')
    (share / "hal").mkdir()
    (share / "hal" / "groq.json").write_text(json.dumps({"schema": "envdoctor/check-report@2"}))
    roster = tmp_path / "roster.csv"
    roster.write_text("user,name,email,platforms\nann,Ann,ann@x.org,\nben,Ben,,\ncat,Cat,,\ndan,Dan,,\n"
                      "zoe,Zoë Ünal,zoe@x.org,groq\n", encoding="utf-8")
    html = tmp_path / "class.html"
    rc, out, err = cli("class", "report", str(share), "--roster", str(roster), "--html", str(html))
    assert rc == 1 and html.exists(), err
    return html


def _visible(driver, css: str) -> list:
    return [e for e in driver.find_elements("css selector", css) if e.is_displayed()]


def test_class_page_in_headless_chromium(browser, tmp_path: Path, cli) -> None:
    from selenium.webdriver.support.ui import Select

    html = _page(tmp_path, cli)
    browser.get(html.as_uri())
    errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert errors == []
    assert browser.title == "envdoctor class report"

    # The grid: 7 students (4 reporting, zoe missing, eve and hal with unusable reports) x 2 platforms.
    rows = browser.find_elements("css selector", "#grid tbody tr")
    assert [r.get_attribute("data-user") for r in rows] == ["ann", "ben", "cat", "dan", "eve", "hal", "zoe"]
    def count(s: str) -> int:
        return len(browser.find_elements("css selector", f'#grid td.cell[data-status="{s}"]'))

    # eve and hal are expected on groq only (where they sent something), zoe on groq (the roster)
    assert (count("ok"), count("warn"), count("fail"), count("error"), count("missing")) == (2, 1, 4, 3, 1)
    summary = {e.get_attribute("data-status"): int(e.get_attribute("data-count"))
               for e in browser.find_elements("css selector", "#summary span[data-status]")}
    assert summary == {"ok": 2, "warn": 1, "fail": 4, "error": 3, "missing": 1}

    # Fault ranking, with the fix to announce.
    faults = browser.find_elements("css selector", "#faults tbody tr")
    assert [(f.get_attribute("data-check"), f.get_attribute("data-students")) for f in faults][:2] == [
        ("conda.shell-init", "3"), ("network.proxy", "2")]
    assert "conda init bash" in faults[0].text
    assert [e.text for e in browser.find_elements("css selector", "#missing li")] == ["zoe Zoë Ünal zoe@x.org"]
    assert len(browser.find_elements("css selector", "#bad tbody tr")) == 2
    assert browser.find_element("id", "shown").text == "7 of 7 students"

    # Text filter: a check id keeps the students it hit.
    box = browser.find_element("id", "filter")
    box.send_keys("conda.shell-init")
    assert [r.get_attribute("data-user") for r in _visible(browser, "#grid tbody tr")] == ["ann", "ben", "cat"]
    assert [f.get_attribute("data-check") for f in _visible(browser, "#faults tbody tr")] == ["conda.shell-init"]
    assert browser.find_element("id", "shown").text == "3 of 7 students"
    box.clear()
    box.send_keys("ZOË")
    assert [r.get_attribute("data-user") for r in _visible(browser, "#grid tbody tr")] == ["zoe"]
    box.clear()
    box.send_keys(" ")  # an 'input' event with an empty filter shows everything again
    assert len(_visible(browser, "#grid tbody tr")) == 7

    # Status filter, then both together.
    status = Select(browser.find_element("id", "status-filter"))
    status.select_by_value("missing")
    # zoe's groq only: eve and hal sent (unusable) reports for groq and are expected nowhere else
    assert [r.get_attribute("data-user") for r in _visible(browser, "#grid tbody tr")] == ["zoe"]
    status.select_by_value("error")
    assert [r.get_attribute("data-user") for r in _visible(browser, "#grid tbody tr")] == ["dan", "eve", "hal"]
    box.clear()
    box.send_keys("eve")
    assert [r.get_attribute("data-user") for r in _visible(browser, "#grid tbody tr")] == ["eve"]
    box.clear()
    box.send_keys(" ")
    status.select_by_value("")

    # A student's details open from the grid.
    browser.find_element("css selector", '#grid tr[data-user="ben"] td a').click()
    details = browser.find_element("id", "u-ben")
    assert details.get_attribute("open") is not None
    assert "initialise conda for bash" in details.text and "network.proxy" in details.text
    assert [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")] == []

    shot = Path(os.environ.get("ENVDOCTOR_SCREENSHOT_DIR", tmp_path)) / "class-page.png"
    browser.execute_script("window.scrollTo(0, 0)")
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000


LONG_WHY = ("conda was initialised in ~/.bashrc below the interactive guard, so batch jobs, `bash -l -c` and "
            "qsub scripts never see it; the module path " + "/software/sambanova/apps/1.18.7/torch-env/" * 8
            + " is not on PATH and " + "x" * 300)
LONG_CMDS = ["source /software/sambanova/envs/sn_env.sh && " + "--some-really-long-option=value " * 12,
             "python -m pip install --no-index --find-links=" + "/data/wheelhouse/" * 20 + " datasets==2.21.0",
             "conda init bash"]


def _wide_page(tmp_path: Path, cli) -> Path:
    """Long why texts, long unbroken commands, long names and paths, four platforms."""
    share = tmp_path / "wide"
    for i, platform in enumerate(("cerebras", "sambanova", "graphcore", "groq") * 3):
        user = f"student{i:02d}" if i % 5 else "s" + "very-long-user-name-" * 6
        path = write_report(share, user, platform, ("conda.shell-init", "venv.python"))
        data = json.loads(path.read_text())
        for c in data["checks"]:
            if c["id"] == "conda.shell-init":
                c["why"], c["commands"] = LONG_WHY, LONG_CMDS
                c["evidence"] = ["PATH=" + ":".join(["/opt/sambaflow/bin/with/a/long/path"] * 30)]
        path.write_text(json.dumps(data))
    (share / "broken").mkdir()
    (share / "broken" / ("groq" + "-x" * 100 + ".json")).write_text("{\"schema\": \"envdoctor/check-repo")
    html = tmp_path / "wide.html"
    rc, out, err = cli("class", "report", str(share), "--html", str(html))
    assert rc == 1 and html.exists(), err
    return html


@pytest.mark.parametrize("width", [1400, 1920])
def test_class_page_fits_the_window(browser, tmp_path: Path, cli, width: int) -> None:
    html = _wide_page(tmp_path, cli)
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": width, "height": 1000, "deviceScaleFactor": 1, "mobile": False})
    browser.get(html.as_uri())
    for d in browser.find_elements("css selector", "#students details"):  # the widest content, opened
        browser.execute_script("arguments[0].open = true", d)
    scroll, client = browser.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width - 20 <= client <= width  # the viewport, less a vertical scrollbar
    assert scroll <= client, (scroll, client)
    # "announce to the class" and its whole fix, every command, are on screen.
    head = browser.find_element("xpath", "//table[@id='faults']//th[text()='announce to the class']")
    right = browser.execute_script("return arguments[0].getBoundingClientRect().right", head)
    assert head.is_displayed() and right <= width
    top = browser.find_element("css selector", '#faults tbody tr[data-check="conda.shell-init"]')
    pre = top.find_elements("css selector", "pre")[-1]
    assert pre.text.splitlines()[-1] == "conda init bash"
    assert browser.execute_script("return arguments[0].getBoundingClientRect().right", pre) <= width
    shot = Path(os.environ.get("ENVDOCTOR_SCREENSHOT_DIR", tmp_path)) / f"class-page-{width}.png"
    assert browser.save_screenshot(str(shot))
