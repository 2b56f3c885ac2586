"""StarGAN's demo page: its handlers on the tiny joint checkpoint, and stargan-demo driven in headless Chromium.

The browser test starts the real command on a free port, uploads scikit-image's astronaut, ticks an attribute,
translates, and checks the result's pixels; it saves a screenshot to tmp_path and, when STARGAN_TEST_ARTIFACTS is
set, into that folder. It is skipped without Debian's chromium and chromium-driver (or selenium, mtcnn, scikit-image).
"""
import io
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pytest
from PIL import Image

from stargan_tf.families import load_translator

pytest.importorskip("gradio", reason="the demo page needs gradio (pip install -e '.[demo]')")
from stargan_tf.core import demo  # noqa: E402
from stargan_tf.families.stargan.demo import StarGANPage, edit_text  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
FACE_BOX = (182, 64, 265, 171)  # mtcnn's box of the astronaut's face: left, top, right, bottom
FAR = (100, 0, 360, 290)  # the aligned face's square, pasted back, stays inside this box


@pytest.fixture(scope="module")
def page(tiny_checkpoints):
    return StarGANPage(load_translator(tiny_checkpoints["both"]), demo.DemoSettings())


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """astronaut.png (one face), coffee.png (none) and notes.png (a text file), as uploads."""
    data = pytest.importorskip("skimage.data", reason="the real photos come from scikit-image")
    folder = tmp_path_factory.mktemp("demo_photos")
    Image.fromarray(data.astronaut()).save(folder / "astronaut.png")
    Image.fromarray(data.coffee()).save(folder / "coffee.png")
    (folder / "notes.png").write_text("not an image")
    return {name: {"path": str(folder / f"{name}.png"), "orig_name": f"{name}.png"}
            for name in ("astronaut", "coffee", "notes")}


def test_edit_text_lists_the_changes_with_their_strengths(page):
    celeba, rafd = page.segments
    assert edit_text(celeba, [1, 0, 0, 0, 1], [0, 1, 0, 0, 1], [1, 0.5, 1, 1, 0.25]) == "-Black_Hair:1,+Blond_Hair:0.5"
    assert edit_text(celeba, [1, 0, 0, 0, 1], [1, 0, 0, 0, 1], [1] * 5) == ""
    assert edit_text(rafd, np.eye(8)[0], np.eye(8)[3], [0.7] * 8) == f"+{rafd.names[3]}:0.7"


def test_upload_then_translate(page, photos):
    pytest.importorskip("mtcnn", reason="face alignment needs mtcnn (pip install -e '.[faces]')")
    state, message, *labels = page.on_upload(photos["astronaut"])
    assert message.startswith("astronaut.png: 1 face found, aligned as the training faces were (16x16 pixels) and "
                              "pasted back into the photo. The fields start from the photo's own labels, as the "
                              "model's classifier (D_cls) sees them")
    assert len(labels) == 5 + 1 and labels == page.start_values(state)
    strengths = [1.0] * 6
    _, message, result, faces = page.on_translate(photos["astronaut"], state, "celeba", *labels, *strengths)
    assert message.startswith("**Error:** Nothing to translate") and result is None and faces is None
    labels[1] = not labels[1]  # Blond_Hair
    _, message, result, faces = page.on_translate(photos["astronaut"], state, "celeba", *labels, *strengths)
    assert message.endswith(f"Translated with the changes {'+' if labels[1] else '-'}Blond_Hair:1 (name:strength).")
    assert result.shape == (512, 512, 3) and faces.shape == (136, 192, 3)

    _, message, *labels = page.on_upload(photos["coffee"])
    assert message.startswith("coffee.png: no face of at least 40 pixels found, so the centre crop of the photo was "
                              "used instead (16x16 pixels).")
    labels[0] = not labels[0]
    _, _, result, _ = page.on_translate(photos["coffee"], None, "celeba", *labels, *strengths)
    assert result.shape == (16, 16, 3)  # the crop's translation


def test_unreadable_upload_keeps_the_fields_and_says_so(page, photos):
    state, message, *labels = page.on_upload(photos["notes"])
    assert state is None and message.startswith("**Error:** notes.png: not a readable image")
    assert all(label == {"__type__": "update"} for label in labels)
    _, message, result, _ = page.on_translate(photos["notes"], None, "celeba", *[False] * 5, None, *[1.0] * 6)
    assert message.startswith("**Error:** notes.png: not a readable image") and result is None


# The page in a browser.

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tiny_checkpoints, tmp_path_factory):
    """stargan-demo on the tiny joint checkpoint, on a free port: its URL (the process is ended afterwards)."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.path.exists(path):
            pytest.skip(f"{path} is missing: the browser test needs Debian's chromium and chromium-driver "
                        f"(apt-get install chromium chromium-driver)")
    pytest.importorskip("selenium", reason="the browser test drives Chromium with selenium")
    pytest.importorskip("mtcnn", reason="face alignment needs mtcnn (pip install -e '.[faces]')")
    port = free_port()
    log = open(tmp_path_factory.mktemp("demo_server") / "server.log", "w+")
    process = subprocess.Popen([sys.executable, os.path.join(ROOT, "scripts", "demo.py"),
                                f"--model={tiny_checkpoints['both']}", f"--port={port}"],
                               cwd=ROOT, env={**os.environ, "PYTHONPATH": ROOT}, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                log.seek(0)
                assert process.poll() is None and time.monotonic() < deadline, f"the demo did not start:\n{log.read()}"
                time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        process.wait(30)
        log.close()


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1500"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})  # every request, to check none leaves
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def status_text(browser) -> str:
    """The page's status line ('' before the page has drawn it)."""
    from selenium.webdriver.common.by import By

    return " ".join(element.text for element in browser.find_elements(By.ID, "status"))


def wait_for(browser, condition, what: str, timeout: float = 60):
    """condition()'s first truthy value, polled; fails naming what was awaited and the status line."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(browser, timeout, poll_frequency=0.05).until(lambda _: condition())
    except TimeoutException:
        pytest.fail(f"waited {timeout} s for {what}; the status line: {status_text(browser)!r}")


def upload_to_page(browser, url: str, path: str) -> None:
    """Opens the page afresh and gives the photo field a file."""
    from selenium.webdriver.common.by import By

    browser.get(url)
    wait_for(browser, lambda: browser.find_elements(By.CSS_SELECTOR, "#photo input[type=file]"), "the photo field")
    browser.find_element(By.CSS_SELECTOR, "#photo input[type=file]").send_keys(path)


def requested_hosts(browser) -> set:
    """host:port of every network request the page made (data: and blob: URLs are not requests)."""
    import json
    from urllib.parse import urlsplit

    hosts = set()
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            parts = urlsplit(message["params"]["request"]["url"])
            if parts.scheme in ("http", "https", "ws", "wss"):
                hosts.add(parts.netloc)
    return hosts


def test_the_page_translates_an_uploaded_photo_in_a_browser(server, browser, photos, tmp_path):
    from selenium.webdriver.common.by import By

    start = time.monotonic()
    upload_to_page(browser, server, photos["astronaut"]["path"])
    wait_for(browser, lambda: "1 face found" in status_text(browser), "the face to be found")
    checkbox = browser.find_element(By.CSS_SELECTOR, "#label-Blond_Hair input[type=checkbox]")
    was_ticked = checkbox.is_selected()
    checkbox.click()
    clicked = time.monotonic()
    browser.find_element(By.ID, "translate").click()
    wait_for(browser, lambda: "Translated with the changes" in status_text(browser), "the translation")
    source = wait_for(browser, lambda: browser.find_element(By.CSS_SELECTOR, "#result img").get_attribute("src"),
                      "the result image")
    latency = time.monotonic() - clicked
    assert f"{'-' if was_ticked else '+'}Blond_Hair:1" in status_text(browser)
    result = np.asarray(Image.open(io.BytesIO(urllib.request.urlopen(source, timeout=10).read())).convert("RGB"))
    photo = np.asarray(Image.open(photos["astronaut"]["path"]))
    assert result.shape == photo.shape == (512, 512, 3)
    left, top, right, bottom = FACE_BOX
    assert (result[top:bottom, left:right] != photo[top:bottom, left:right]).any(-1).mean() > 0.5
    far = np.ones(photo.shape[:2], bool)
    far[FAR[1]:FAR[3], FAR[0]:FAR[2]] = False
    np.testing.assert_array_equal(result[far], photo[far])
    browser.set_window_size(1280, browser.execute_script("return document.body.scrollHeight") + 100)
    screenshot = tmp_path / "demo_page.png"
    browser.save_screenshot(str(screenshot))
    if os.environ.get("STARGAN_TEST_ARTIFACTS"):
        os.makedirs(os.environ["STARGAN_TEST_ARTIFACTS"], exist_ok=True)
        shutil.copy(screenshot, os.path.join(os.environ["STARGAN_TEST_ARTIFACTS"], "demo_page.png"))

    upload_to_page(browser, server, photos["notes"]["path"])
    wait_for(browser, lambda: "not a readable image" in status_text(browser), "the unreadable-file message")
    assert status_text(browser).startswith("Error: notes.png: not a readable image")
    assert requested_hosts(browser) == {server.split("/")[2]}, "the page fetched something from elsewhere"
    print(f"browser test: {time.monotonic() - start:.1f} s, translate click to result {latency:.2f} s")
