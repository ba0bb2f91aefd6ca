"""The trainer's page as a person uses it: headless Debian Chromium driven by Selenium
through Debian's chromium-driver (/usr/bin/chromedriver; the driver path is given, so
Selenium Manager never runs and nothing is downloaded).

Open a vignette, move a rating, see the map and a step change; open why for a step; step
through the reasoning forward and back. Skipped when chromium or chromedriver is missing
locally; under CI (which installs both, see .ci/run) that is a failure instead.
"""
from __future__ import annotations

import contextlib
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
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.2).until(condition)


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

    # Why for the first step: the explanation down to the scores.
    browser.find_element(By.CSS_SELECTOR, '#steps button.why[data-target="S1"]').click()
    _wait(browser, lambda d: d.find_element(By.ID, "why").text.startswith("Why: S1 "))
    assert "rule " in browser.find_element(By.ID, "why").text
    # Why not, for a deferred or excluded activity.
    blocked = browser.find_element(By.CSS_SELECTOR, '#deferred button.why, #excluded button.why')
    name = blocked.text
    blocked.click()
    _wait(browser, lambda d: d.find_element(By.ID, "why").text.startswith("Why not " + name))


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
