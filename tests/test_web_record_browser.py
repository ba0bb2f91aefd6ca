"""The therapist's loop in a real headless Chromium (Selenium, Debian's chromium-driver; see
tests/test_web_browser.py), on SQLite and (with SEQPLAN_TEST_PG) PostgreSQL: log in, open
the caseload, type an assessment with a typo and see the message beside the field, fix it,
review the plan (accept two steps, replace one with a reason), sign, print the report to PDF
and find the replacement and its reason in it, log out; an auditor logs in, sees the events
and cannot sign. Screenshots of every page at 1280x720 and 390x844 go to $SEQPLAN_SHOTS
(default: the test's own temporary folder)."""
from __future__ import annotations

import base64
import subprocess

import pytest

from tests.test_web_browser import _require, _shots_dir, _wait, browser, serving  # noqa: F401  (the module's browser)

PASSWORD = "correct horse battery"
SIZES = ((1280, 720), (390, 844))


@pytest.fixture
def server(db):
    """A server on the record ``db`` with a therapist and an auditor, and another child of the therapist's."""
    from planner.api import open_record
    from planner.record.users import add_user
    from planner.web.app import create_app

    rec = open_record(db)
    add_user(rec, "Dr A. Rivera", "therapist", PASSWORD, by="admin")
    add_user(rec, "Ann Audit", "auditor", PASSWORD, by="admin")
    rec.add(["middle-limbic"], by="Dr A. Rivera")
    rec.plan("EX-003", by="Dr A. Rivera")
    with serving(create_app(db=db)) as url:
        yield url


def shoot(driver, folder, name):
    """Screenshots of the page as it is, at both sizes (then back to the first), into ``folder``."""
    for width, height in SIZES:
        driver.set_window_size(width, height)
        driver.save_screenshot(str(folder / f"{name}-{width}x{height}.png"))
    driver.set_window_size(*SIZES[0])


def log_in(driver, server, name):
    from selenium.webdriver.common.by import By

    driver.delete_all_cookies()
    driver.get(server + "/caseload")
    _wait(driver, lambda d: d.find_elements(By.ID, "login-form"))
    driver.find_element(By.ID, "name").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "#login-form button").click()
    _wait(driver, lambda d: d.find_elements(By.ID, "who"))


def decide(driver, step, action, activity=None, reason=None, note=None):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element(By.ID, f"action-{step}")).select_by_value(action)
    if activity:
        Select(driver.find_element(By.ID, f"activity-{step}")).select_by_value(activity)
    if reason:
        Select(driver.find_element(By.ID, f"reason-{step}")).select_by_value(reason)
    if note:
        driver.find_element(By.ID, f"note-{step}").send_keys(note)
    driver.find_element(By.ID, f"save-{step}").click()
    _wait(driver, lambda d: d.find_elements(By.ID, f"decision-{step}"))


def test_the_therapists_loop_and_the_auditor(server, browser, tmp_path):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    from planner.intake.assessment import load_assessment
    from planner.intake.examples import bundled_paths

    pdftotext = _require("/usr/bin/pdftotext", "poppler-utils")
    shots = _shots_dir(tmp_path)
    browser.set_window_size(*SIZES[0])
    browser.delete_all_cookies()
    browser.get(server + "/caseload")
    shoot(browser, shots, "login")
    log_in(browser, server, "Dr A. Rivera")
    assert browser.find_elements(By.CSS_SELECTOR, 'tr[data-child="EX-003"]')
    shoot(browser, shots, "caseload")

    # A new assessment typed in, with a typo in one rating.
    child = load_assessment(bundled_paths()["young-child-brainstem"]).canonical
    browser.find_element(By.LINK_TEXT, "New assessment").click()
    _wait(browser, lambda d: d.find_elements(By.ID, "assessment"))
    fields = {"client.id": "WEB-1", "client.name": "Robin", "client.age_years": "4.5", "assessed_on": "2026-10-12",
              "current.relational_health": "4", "context.interests": "music, animals, water",
              "context.avoid": "touch", "context.team": "caregiver, teacher", "context.settings": "home, school",
              **{f"functioning.{f}": str(v) for f, v in child["functioning"].items()}}
    fields["functioning.sleep"] = "4o"
    for field, value in fields.items():
        browser.find_element(By.ID, f"f-{field}").send_keys(value)
    Select(browser.find_element(By.ID, "f-current.arousal")).select_by_value("alarm")
    browser.find_element(By.ID, "store").click()
    message = _wait(browser, lambda d: d.find_elements(By.ID, "error-functioning.sleep"))[0]
    assert message.text == 'must be a whole number, got "4o"'
    label = browser.find_element(By.ID, "f-functioning.sleep").find_element(By.XPATH, "..")
    assert message in label.find_elements(By.CSS_SELECTOR, ".field-error"), "the message is beside its field"
    shoot(browser, shots, "assess-error")
    sleep = browser.find_element(By.ID, "f-functioning.sleep")
    sleep.clear()
    sleep.send_keys("4")
    browser.find_element(By.ID, "store").click()

    # The plan review: accept two steps, replace one with a reason, sign.
    _wait(browser, lambda d: d.find_elements(By.ID, "review-steps"))
    steps = {li.get_attribute("data-step"): li.get_attribute("data-activity")
             for li in browser.find_elements(By.CSS_SELECTOR, "li.review-step")}
    assert len(steps) >= 3
    plan_url = browser.current_url
    shoot(browser, shots, "review-draft")
    replacement = next(a for a in ("swinging", "nature_walks", "trampoline") if a not in steps.values())
    decide(browser, "S1", "accept")
    decide(browser, "S3", "accept")
    decide(browser, "S2", "replace", replacement, "not-convenient-feasible", "no drum at home")
    assert "Not practical for the family or team" in browser.find_element(By.ID, "decision-S2").text
    Select(browser.find_element(By.ID, "role")).select_by_value("clinical_psychologist")
    browser.find_element(By.ID, "sign-button").click()
    signed = _wait(browser, lambda d: d.find_elements(By.ID, "signature"))[0]
    assert "Signed by Dr A. Rivera (Clinical psychologist)" in signed.text
    assert not browser.find_elements(By.CSS_SELECTOR, "form.decide")
    shoot(browser, shots, "review-signed")

    # The printed report, as a PDF: the replacement and its reason are in it.
    browser.get(plan_url + "/print")
    _wait(browser, lambda d: d.find_elements(By.TAG_NAME, "h1"))
    shoot(browser, shots, "print-report")
    pdf = tmp_path / "plan.pdf"
    pdf.write_bytes(base64.b64decode(browser.print_page()))
    text = " ".join(subprocess.run([pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())
    from planner.kb.knowledge import load_knowledge_base

    name = load_knowledge_base().activities[replacement]["name"]
    assert "Replaced by Dr A. Rivera" in text and name in text
    assert "Not practical for the family or team (time, transport, cost)" in text and "no drum at home" in text

    # The child page, then log out.
    browser.get(server + "/child/WEB-1")
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#progress svg.trend"))
    assert browser.find_elements(By.CSS_SELECTOR, "#maps svg.brain-map")
    shoot(browser, shots, "child")
    browser.find_element(By.ID, "logout").click()
    _wait(browser, lambda d: d.find_elements(By.ID, "login-form"))

    # An auditor sees the events but cannot sign.
    log_in(browser, server, "Ann Audit")
    browser.get(server + "/child/WEB-1/audit")
    _wait(browser, lambda d: d.find_elements(By.ID, "events"))
    assert browser.find_element(By.ID, "verify-status").text.lower() == "intact"
    events = browser.find_element(By.ID, "events").text
    assert "sign" in events and "decide" in events and "Dr A. Rivera" in events
    shoot(browser, shots, "audit")
    browser.get(plan_url)
    _wait(browser, lambda d: d.find_elements(By.ID, "review-steps"))
    assert not browser.find_elements(By.ID, "sign") and not browser.find_elements(By.CSS_SELECTOR, "form.decide")
    browser.find_element(By.ID, "logout").click()
