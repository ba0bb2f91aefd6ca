"""The trainer's page as a person uses it: headless Debian Chromium driven by Selenium
through Debian's chromium-driver (/usr/bin/chromedriver; the driver path is given, so
Selenium Manager never runs and nothing is downloaded).

Open a vignette, move a rating, see the map and a step change; open why for a step; step
through the reasoning forward and back. Skipped when chromium or chromedriver is missing
locally; under CI (which installs both, see .ci/run) that is a failure instead.
"""
from __future__ import annotations

import contextlib
import re
import os
import shutil
import threading

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def _require(path, package):
    if os.access(path, os.X_OK):
        return path
    found = shutil.which(os.path.basename(path))
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail(f"{path} is missing, and CI is set (CI must install {package}: .ci/run)")
    pytest.skip(f"{path} is not installed (Debian package {package})")


@contextlib.contextmanager
def serving(app):
    """``app`` served on a free loopback port in a thread, as `seqplan serve` serves it; its URL."""
    from werkzeug.serving import make_server

    httpd = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def server():
    from planner.web.app import create_app

    with serving(create_app()) as url:
        yield url


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    chromium = _require(CHROMIUM, "chromium")
    driver_path = _require(CHROMEDRIVER, "chromium-driver")
    pytest.importorskip("selenium")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1400,1800", f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(120)
    yield driver
    driver.quit()


def _wait(driver, condition, timeout=120):
    """Until ``condition``; an element replaced by a re-plan while it was read is read again."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.2,
                         ignored_exceptions=[StaleElementReferenceException]).until(condition)


def _steps(driver):
    from selenium.webdriver.common.by import By

    return [li.get_attribute("data-activity") for li in driver.find_elements(By.CSS_SELECTOR, "#steps li.step")]


def _band(driver, function):
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, f'#map g.cell[data-function="{function}"]').get_attribute("data-band")


def test_move_a_rating_and_watch_map_and_plan_change_then_ask_why(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(server + "/")
    browser.find_element(By.CSS_SELECTOR, 'a[data-case="bottom-up-start"]').click()
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#map svg.brain-map"))
    band_before, steps_before = _band(browser, "cardiovascular"), _steps(browser)
    assert band_before != "severe" and steps_before

    # Move the cardiovascular rating to 0 with the keyboard, as a person would.
    slider = browser.find_element(By.ID, "ctl-cardiovascular")
    slider.send_keys(Keys.HOME)
    assert slider.get_attribute("value") == "0"
    _wait(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-plan-version"))
    _wait(browser, lambda d: _band(d, "cardiovascular") == "severe")
    cell = browser.find_element(By.CSS_SELECTOR, '#map g.cell[data-function="cardiovascular"]')
    assert "changed" in cell.get_attribute("class"), "the changed map cell is highlighted"

    # The page shows the plan the API makes for the same change, and the steps did change.
    import json
    import urllib.request

    from planner.intake.assessment import load_assessment
    from planner.intake.examples import bundled_paths

    body = json.dumps({"assessment": load_assessment(bundled_paths()["bottom-up-start"]).canonical,
                       "set": {"functioning.cardiovascular": 0}}).encode()
    request = urllib.request.Request(server + "/api/plan", body, {"Content-Type": "application/json"})
    expected = [s["activity"] for s in json.load(urllib.request.urlopen(request, timeout=120))["steps"]]
    assert expected != steps_before, "precondition: this rating changes the plan's steps"
    _wait(browser, lambda d: _steps(d) == expected)
    changes = browser.find_element(By.ID, "changes").text
    assert "Brainstem" in changes and "Rules now firing" in changes
    assert browser.find_elements(By.CSS_SELECTOR, "#plan li.removed, #plan li.added"), "step changes are marked"

    # Why for the first step: one plain sentence; the tree one click away; a reference followed.
    browser.find_element(By.CSS_SELECTOR, '#steps button.why[data-target="S1"]').click()
    _wait(browser, lambda d: " is step S1 " in d.find_element(By.ID, "why-sentence").text)
    sentence = browser.find_element(By.ID, "why-sentence").text
    assert not re.search(r"[|=]|\b[A-Z]+-\d{3}\b|\b[a-z]+_[a-z_]+\b", sentence), sentence   # no engine ids
    assert not browser.find_element(By.CSS_SELECTOR, "#why-tree ul.tree").is_displayed()
    browser.find_element(By.CSS_SELECTOR, "#why-tree summary").click()
    _wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#why-tree ul.tree").is_displayed())
    assert "mean" in browser.find_element(By.CSS_SELECTOR, "#why-tree ul.tree").text        # down to the scores
    link = browser.find_element(By.CSS_SELECTOR, "#why-tree a.ref")
    target = link.get_attribute("href").split("#")[1]
    link.click()
    _wait(browser, lambda d: d.execute_script("return location.hash") == "#" + target)
    assert browser.find_element(By.ID, target).is_displayed()
    assert browser.find_element(By.ID, "why").get_attribute("textContent").startswith("Why: S1 ")   # the rules view
    # Why not, for a deferred or excluded activity.
    blocked = browser.find_element(By.CSS_SELECTOR, '#deferred button.why, #excluded button.why')
    name = blocked.text
    blocked.click()
    _wait(browser, lambda d: d.find_element(By.ID, "why-answer").text.startswith("Why not " + name))


def test_step_through_forward_and_back(server, browser):
    from selenium.webdriver.common.by import By

    browser.get(server + "/case/state-before-scores")
    browser.find_element(By.CSS_SELECTOR, "#stepper summary").click()
    _wait(browser, lambda d: d.find_element(By.ID, "step-count").text.startswith("1 of "))
    first = browser.find_element(By.ID, "firing").text
    assert "Layer 1: summarise" in first
    browser.find_element(By.ID, "step-next").click()
    assert browser.find_element(By.ID, "step-count").text.startswith("2 of ")
    assert browser.find_element(By.ID, "firing").text != first
    browser.find_element(By.ID, "step-prev").click()
    assert browser.find_element(By.ID, "firing").text == first
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element(By.ID, "step-layer")).select_by_value("1")
    assert "Layer 2: focus" in browser.find_element(By.ID, "firing").text
    # A re-plan keeps the stepper on the same firing (it used to jump to whatever now had its number).
    for _ in range(3):
        browser.find_element(By.ID, "step-next").click()
    here = browser.find_element(By.CSS_SELECTOR, "#firing h3").text.split(" ", 1)[1]     # rule: title
    before = browser.find_element(By.ID, "step-count").text
    from selenium.webdriver.common.keys import Keys

    browser.find_element(By.ID, "ctl-cardiovascular").send_keys(Keys.HOME)               # fewer firings before it
    _wait(browser, lambda d: d.find_element(By.ID, "step-count").text != before)
    assert browser.find_element(By.CSS_SELECTOR, "#firing h3").text.split(" ", 1)[1] == here


# ------------------------------------------------------------ the page on any screen (issue 22, item 2)

SIZES = [(390, 844), (800, 600), (1280, 720), (1920, 1080)]
RECT = "var r = document.getElementById(arguments[0]).getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom];"


def _size(driver, width, height):
    """The viewport exactly ``width`` x ``height`` CSS pixels, as a phone or projector has it."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 500})


def _rect(driver, element_id):
    return driver.execute_script(RECT, element_id)


def _overlap(a, b):
    return max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))


def _shots_dir(tmp_path):
    """Screenshots go to $SEQPLAN_SHOTS when set (to look at), else to the test's own folder."""
    from pathlib import Path

    folder = Path(os.environ.get("SEQPLAN_SHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.parametrize("width,height", SIZES)
def test_the_controls_never_cover_the_map_or_the_plan(server, browser, tmp_path, width, height):
    """At each size, wherever the page is scrolled (to the map, to the plan, to the end) and with
    the controls open, the controls' rectangle meets neither the map's nor the plan's; nothing is
    wider than the screen; at projector sizes the map, "What changed" and the plan are all on
    the first screen."""
    from selenium.webdriver.common.by import By

    _size(browser, width, height)
    try:
        browser.get(server + "/case/state-before-scores")
        _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#map svg.brain-map"))
        browser.save_screenshot(str(_shots_dir(tmp_path) / f"trainer-{width}x{height}.png"))
        assert browser.execute_script("return document.documentElement.scrollWidth") <= width, "no sideways scrolling"
        if width < 768:
            assert not browser.find_element(By.ID, "controls-box").get_attribute("open"), "folded on a phone"
            assert _rect(browser, "map-panel")[1] < height, "the map is on the first screen"
            browser.find_element(By.CSS_SELECTOR, "#controls-box > summary").click()
        if width >= 1280:
            for panel in ("map-panel", "changes-panel", "plan-panel"):
                top = _rect(browser, panel)[1]
                assert top < height - 150, f"{panel} starts at {top}: not visible at {width}x{height}"
        for where in ("map-panel", "plan-panel", "download-panel"):
            browser.execute_script("document.getElementById(arguments[0]).scrollIntoView()", where)
            controls = _rect(browser, "controls-box")
            for panel in ("map-panel", "plan-panel"):
                assert _overlap(controls, _rect(browser, panel)) == 0, f"controls over {panel} ({where} in view)"
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def _deferred(driver):
    from selenium.webdriver.common.by import By

    return [b.get_attribute("data-target") for b in driver.find_elements(By.CSS_SELECTOR, "#deferred button.why")]


def _api_steps(server, name, sets):
    import json
    import urllib.request

    from planner.intake.assessment import load_assessment
    from planner.intake.examples import bundled_paths

    body = json.dumps({"assessment": load_assessment(bundled_paths()[name]).canonical, "set": sets}).encode()
    request = urllib.request.Request(server + "/api/plan", body, {"Content-Type": "application/json"})
    return [s["activity"] for s in json.load(urllib.request.urlopen(request, timeout=120))["steps"]]


def test_try_this_does_what_the_note_says_and_undo_takes_it_back(server, browser):
    """state-before-scores: "Try this" sets typical arousal to alert; the gate held by arousal
    opens and storytelling is no longer deferred (the note's claim); Undo restores fear."""
    from selenium.webdriver.common.by import By

    from planner.intake.examples import vignette_note

    note = vignette_note("state-before-scores")
    browser.get(server + "/case/state-before-scores")
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#map svg.brain-map"))
    steps_before, deferred_before = _steps(browser), _deferred(browser)
    assert "storytelling" in deferred_before and browser.find_element(By.ID, "undo").get_attribute("disabled")
    expected = _api_steps(server, "state-before-scores", note["whatif"]["set"])
    browser.find_element(By.ID, "try").click()
    _wait(browser, lambda d: _steps(d) == expected)
    assert _steps(browser) != steps_before
    assert browser.find_element(By.ID, "ctl-arousal").get_attribute("value") == "alert"
    for activity in note["checks"]["after"]["not_deferred"]:
        assert activity not in _deferred(browser), activity
    assert "opened" in browser.find_element(By.ID, "changes").text
    assert browser.find_element(By.ID, "see").is_displayed()
    assert browser.find_element(By.CSS_SELECTOR, '#state [data-gauge="arousal"]').get_attribute("data-value") == "alert"
    assert browser.find_element(By.ID, "dl-mark").is_displayed()

    browser.find_element(By.ID, "undo").click()
    _wait(browser, lambda d: _steps(d) == steps_before and _deferred(d) == deferred_before)
    assert browser.find_element(By.ID, "ctl-arousal").get_attribute("value") == "fear"
    assert browser.find_element(By.ID, "undo").get_attribute("disabled")


def test_before_and_after_maps_side_by_side(server, browser):
    from selenium.webdriver.common.by import By

    _size(browser, 1280, 720)
    try:
        browser.get(server + "/case/dissociation")
        assert not browser.find_element(By.ID, "before").is_displayed()
        browser.find_element(By.ID, "try").click()
        _wait(browser, lambda d: d.find_element(By.ID, "after-caption").text == "With the changes")
        browser.find_element(By.ID, "compare").click()
        before, after = _rect(browser, "before"), _rect(browser, "after")
        assert before[2] <= after[0] and abs(before[1] - after[1]) < 2, "side by side"
        assert browser.find_elements(By.CSS_SELECTOR, "#before svg.brain-map")
        band = browser.find_element(By.CSS_SELECTOR, '#before g.cell[data-function="dissociation"]').get_attribute(
            "data-band")
        assert band == "severe" and _band(browser, "dissociation") == "mild"
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_downloads_after_try_this_are_marked_hypothetical(server, browser, tmp_path):
    """The files the browser saves after an edit: the file name and the heading say so."""
    import time

    from selenium.webdriver.common.by import By

    folder = tmp_path / "downloads"
    folder.mkdir()
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(folder)})
    browser.get(server + "/case/dissociation")
    browser.find_element(By.ID, "try").click()
    _wait(browser, lambda d: d.find_element(By.ID, "dl-mark").is_displayed())
    for fmt in ("md", "handout-caregiver"):
        browser.find_element(By.CSS_SELECTOR, f'#download button[value="{fmt}"]').click()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len([p for p in folder.iterdir() if not p.name.endswith(".crdownload")]) < 2:
        time.sleep(0.2)
    files = {p.name: p.read_text("utf-8") for p in folder.iterdir()}
    assert set(files) == {"VG-105-plan-hypothetical-what-if.md", "VG-105-handout-caregiver-hypothetical-what-if.html"}
    assert files["VG-105-plan-hypothetical-what-if.md"].splitlines()[0].endswith(": hypothetical (what-if)")
    assert "hypothetical (what-if)</h1>" in files["VG-105-handout-caregiver-hypothetical-what-if.html"]
