"""Drives the StyleFarm dashboard in a real, headless Chromium (selenium + Debian's chromium-driver).

Usage: dashboard_checks.py BASE_URL TOKEN JOB_ID FRAMES SCREENSHOT_DIR

Signs in with the token, opens the job's page, waits for its frame grid to turn green without the page
reloading, pauses and resumes the job from its buttons on the way, checks that finished frames show their
thumbnails, that a frame shows its attempts, that the contact sheet is the grid of the frames and the animated
preview plays, then visits the queue and the workers, saving a screenshot of each page. Prints one line per
check; exits non-zero on the first failure.
"""
import json
import sys
import time
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import ElementClickInterceptedException, StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

base, token, job_id, frames, shots = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]

options = webdriver.ChromeOptions()
for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1000"):
    options.add_argument(argument)
options.binary_location = "/usr/bin/chromium"
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
# The page redraws live: an element found a moment ago may have been replaced; look again rather than fail.
wait = WebDriverWait(driver, 60, ignored_exceptions=(StaleElementReferenceException,))


def click(element_id):
    """Clicks the element with this id as a user would; the page redraws live, so a found element may be
    replaced before the click lands: find it again and retry."""
    deadline = time.time() + 30
    while True:
        try:
            wait.until(EC.element_to_be_clickable((By.ID, element_id))).click()
            return
        except (StaleElementReferenceException, ElementClickInterceptedException):
            if time.time() > deadline:
                raise
            time.sleep(0.05)


def diagnose(what):
    """What the page and the API showed when a wait ran out: enough to tell a stalled job from a stale page."""
    print("FAIL waiting for", what)
    try:
        tiles = driver.execute_script(
            "return [...document.querySelectorAll('#frames .frame')].map(t => t.id + ':' + t.dataset.state)")
        print("page: job-state", driver.execute_script(
            "const e = document.getElementById('job-state'); return e && e.dataset.state"), "tiles", tiles)
    except Exception as error:  # the page itself may be what broke
        print("page unreadable:", error)
    try:
        request = urllib.request.Request(f"{base}/api/v1/jobs/{job_id}", headers={"Authorization": "Bearer " + token})
        job = json.load(urllib.request.urlopen(request, timeout=10))
        print("api: state", job["state"], "done", job["frames_done"], "of", job["frames_total"],
              "frames", [f"{f['number']}:{f['state']}" for f in job["frames"]])
    except Exception as error:
        print("api unreadable:", error)
    driver.save_screenshot(f"{shots}/failure.png")


def until(condition, what):
    try:
        return wait.until(condition)
    except TimeoutException:
        diagnose(what)
        raise


def check(condition, message):
    if not condition:
        print("FAIL", message)
        driver.save_screenshot(f"{shots}/failure.png")
        driver.quit()
        sys.exit(1)
    print("ok", message)


try:
    driver.get(f"{base}/#/jobs/{job_id}")
    # No token yet: the page asks for one.
    until(EC.visibility_of_element_located((By.ID, "token")), "the sign-in field")
    driver.find_element(By.ID, "token").send_keys(token)
    driver.find_element(By.ID, "login-button").click()
    until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#frames .frame")) == frames, "the job's frame tiles")
    check(True, f"the job page shows {frames} frames")
    driver.execute_script("window.__stylefarmLoad = 'still the same page';")

    # Pause while it renders, then resume, from the page's buttons.
    until(lambda d: d.find_elements(By.CSS_SELECTOR, "#frames .frame.done"), "a first finished frame")
    click("pause")
    until(lambda d: d.find_element(By.ID, "job-state").get_attribute("data-state") == "paused", "the page to show the job paused")
    check(True, "pausing from the page shows the job paused")
    time.sleep(1.5)
    done_while_paused = len(driver.find_elements(By.CSS_SELECTOR, "#frames .frame.done"))
    time.sleep(1.5)
    check(len(driver.find_elements(By.CSS_SELECTOR, "#frames .frame.done")) == done_while_paused,
          f"no frame finished while paused ({done_while_paused} done)")
    driver.save_screenshot(f"{shots}/job-paused.png")
    click("resume")
    until(lambda d: d.find_element(By.ID, "job-state").get_attribute("data-state") in ("running", "queued", "completed"), "the page to show the job running again")
    check(True, "resuming from the page shows it running again")

    until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#frames .frame.done")) == frames, "every frame to turn green")
    until(lambda d: d.find_element(By.ID, "job-state").get_attribute("data-state") == "completed", "the page to show the job completed")
    check(driver.execute_script("return window.__stylefarmLoad") == "still the same page",
          "the grid turned green from the event stream, without a reload")
    until(lambda d: d.execute_script(
        "return [...document.querySelectorAll('#frames img.thumb')].every(i => i.complete && i.naturalWidth > 0)"), "every thumbnail to load")
    sizes = driver.execute_script(
        "return [...document.querySelectorAll('#frames img.thumb')].map(i => Math.max(i.naturalWidth, i.naturalHeight))")
    check(len(sizes) == frames and all(0 < s <= 256 for s in sizes), f"every frame shows its thumbnail (longer sides {sorted(set(sizes))})")
    driver.find_element(By.CSS_SELECTOR, "#frames .frame").click()
    until(lambda d: "attempt 1" in d.find_element(By.ID, "log").text, "the frame's task log")
    check(True, "clicking a frame shows its task log")
    until(lambda d: d.find_elements(By.CSS_SELECTOR, "#attempts tr.attempt"), "the frame's attempts table")
    attempts = [r.text for r in driver.find_elements(By.CSS_SELECTOR, "#attempts tr.attempt")]
    check(any("succeeded" in a and " s" in a for a in attempts), f"the frame's attempts show outcome and time ({attempts})")

    # The contact sheet (one PNG of the finished frames, 160-pixel cells) and the animated preview.
    href = driver.find_element(By.ID, "contact-sheet").get_attribute("href")
    size = driver.execute_async_script(
        "const done = arguments[arguments.length - 1], img = new Image();"
        "img.onload = () => done([img.naturalWidth, img.naturalHeight]); img.onerror = () => done(null); img.src = arguments[0];", href)
    columns = min(8, frames)
    rows = (frames + columns - 1) // columns
    cell_height = round(160 * 54 / 96)  # the plates are 96x54
    check(size == [4 + columns * 164, 4 + rows * (cell_height + 4)], f"the contact sheet is a {columns}x{rows} grid of the frames ({size})")
    click("play")
    until(lambda d: d.find_element(By.ID, "preview").is_displayed(), "the animated preview")
    shown = set()
    deadline = time.time() + 5
    while time.time() < deadline and len(shown) < 3:
        frame = driver.find_element(By.ID, "preview").get_attribute("data-frame")
        if frame:
            shown.add(frame)
        time.sleep(0.03)
    check(len(shown) >= 3, f"the preview plays the frames in turn (saw {sorted(shown)})")
    driver.save_screenshot(f"{shots}/job.png")
    click("play")
    check(not driver.find_element(By.ID, "preview").is_displayed(), "the preview stops")

    driver.get(f"{base}/#/")
    until(lambda d: d.find_elements(By.ID, f"job-{job_id}"), "the queue's row of the job")
    row = driver.find_element(By.ID, f"job-{job_id}")
    check(row.get_attribute("data-state") == "completed", "the queue lists the job as completed")
    driver.save_screenshot(f"{shots}/queue.png")

    driver.get(f"{base}/#/workers")
    until(lambda d: d.find_elements(By.CSS_SELECTOR, "#workers tr"), "the workers table")
    check("alive" in driver.find_element(By.ID, "workers").text, "the workers page shows the worker alive")
    workers_text = driver.find_element(By.ID, "workers").text
    check("idle" in workers_text and "MiB" in workers_text,
          f"the workers page shows what the worker does and its last task's peak memory ({workers_text!r})")
    driver.save_screenshot(f"{shots}/workers.png")
finally:
    driver.quit()
print("all dashboard checks passed")
