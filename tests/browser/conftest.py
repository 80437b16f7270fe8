"""Browser tests: a real `truthmeter serve` on a loopback port, driven by Debian's Chromium via Playwright.

The folder skips, with the reason, where Chromium or Playwright is missing, except under CI=true,
where it fails instead: CI must run these. Screenshots go to $TRUTHMETER_ARTIFACTS or tests/browser/out/.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from conftest import CLI, cli_env

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("TRUTHMETER_CHROMIUM", "/usr/bin/chromium")
# Without these Chromium tries to reach Google's services at start-up and hangs on a machine with no network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
EDITOR, PASSWORD = "editor", "correct horse battery staple"
HOSTILE_PERSON = "Margaret Quarrington"  # a first name the people finder knows: it is precision first
SCRIPT_TAG = "<script>window.__pwned=1</script>"
IMG_TAG = '<img src=x onerror="window.__pwned=1">'
HOSTILE = {
    "title": f"{HOSTILE_PERSON} Stuns At Gala {SCRIPT_TAG} {IMG_TAG}",
    "text": (f"{HOSTILE_PERSON} stunned guests at the harbour gala on Friday, a source claims. {SCRIPT_TAG} "
             f"Insiders say the night ended in tears! {IMG_TAG} \"It was chaos,\" an onlooker allegedly said."),
    "url": "javascript:window.__pwned=1",
}
# One outlet's stories over four months, for its record over time (invented people, as everywhere).
OUTLET = "Starlight Weekly"
_OUTLET_STORIES = [
    ("2026-01-14", "Corvin Ackerly Spotted Buying Engagement Ring?!",
     "Corvin Ackerly was spotted buying an engagement ring, a source claims! An insider allegedly said the star is "
     "ready to pop the question, and whispers are growing louder. Sources say the proposal could happen any day."),
    ("2026-01-28", "Delphine Strubel Signs On For Moonwater Sequel",
     "Delphine Strubel has signed on for the Moonwater sequel, her representative confirmed on Monday. \"I could "
     "not be happier to go back to this story,\" Strubel said in an interview. Filming starts in the spring."),
    ("2026-02-09", "Thaddeus Penhallow Secretly Broke, Insiders Claim!",
     "Thaddeus Penhallow is secretly broke, insiders claim! A source close to the actor allegedly said he has been "
     "hiding money troubles for months. It seems the shocking truth could come out any day, a tipster tells us."),
    ("2026-03-03", "Yselle Maskelyne Announces World Tour Dates",
     "Yselle Maskelyne announced the dates of her world tour on Tuesday. \"Every city on this list asked for us,\" "
     "Maskelyne told reporters at the launch. Tickets go on sale next week, her label said in a statement."),
    ("2026-03-20", "Bramwell Ostrander Feuding With Entire Cast, Sources Say",
     "Bramwell Ostrander is feuding with the entire cast, sources say! An insider claims the star storms off set "
     "and nobody can stand him. The explosive drama could end the show, allegedly."),
    ("2026-04-02", "Saoirse Halloway Welcomes First Child, Rep Confirms",
     "Saoirse Halloway has welcomed her first child, her representative confirmed to People on Thursday. \"Mother "
     "and baby are healthy and happy,\" the representative said in a statement."),
]
OUTLET_ROWS = [{"id": f"starlight-{i}", "title": title, "text": text, "outlet": OUTLET, "date": date}
               for i, (date, title, text) in enumerate(_OUTLET_STORIES)]


def _missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set TRUTHMETER_CHROMIUM)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="session", autouse=True)
def _chromium_available() -> None:
    reason = _missing()
    if reason and os.environ.get("CI") == "true":
        pytest.fail(f"browser tests must run in CI: {reason}", pytrace=False)
    if reason:
        pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cli(*args: str, stdin: str | None = None) -> str:
    done = subprocess.run([*CLI, *args], input=stdin, capture_output=True, text=True, env=cli_env(), cwd=ROOT,
                          timeout=300)
    assert done.returncode == 0, f"truthmeter {' '.join(args)}: {done.stderr}"
    return done.stdout


def _stop(proc: subprocess.Popen[str]) -> None:
    """Stop the server and anything it started (its own process group)."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _serve(db: Path, log: Path) -> tuple[subprocess.Popen[str], str]:
    """Start `truthmeter serve` and wait until GET / answers; retry once if the free port got taken."""
    for _ in range(2):
        port = _free_port()
        with log.open("w") as out:
            proc = subprocess.Popen([*CLI, "serve", "--host", "127.0.0.1", "--port", str(port), "--db", str(db)],
                                    stdout=out, stderr=subprocess.STDOUT, env=cli_env(), cwd=ROOT, text=True,
                                    start_new_session=True)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if httpx.get(url + "/", timeout=2).status_code == 200:
                    return proc, url
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        _stop(proc)
    pytest.fail(f"truthmeter serve did not answer on {url}:\n{log.read_text()[-3000:]}", pytrace=False)


# Package scope: the server and the browser stop when this folder's tests end, not with the whole run.
@pytest.fixture(scope="package")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a running newsroom: examples/, the seeds (a fact-checked story with quotes), one outlet's
    stories over four months and one hostile article ingested, one editor. Served with --port and no
    --site-url: the site's links follow the port."""
    tmp = tmp_path_factory.mktemp("site")
    db = tmp / "newsroom.db"
    hostile, outlet = tmp / "hostile.jsonl", tmp / "outlet.jsonl"
    hostile.write_text(json.dumps(HOSTILE) + "\n", encoding="utf-8")
    outlet.write_text("".join(json.dumps(row) + "\n" for row in OUTLET_ROWS), encoding="utf-8")
    # hostile last: the newest story
    _cli("ingest", "examples/", "tests/data/seeds", str(outlet), str(hostile), "--db", str(db), "--workers", "1")
    _cli("user", "add", EDITOR, "--password-stdin", "--db", str(db), stdin=PASSWORD + "\n")
    proc, url = _serve(db, tmp / "serve.log")
    try:
        yield url
    finally:
        _stop(proc)


@pytest.fixture(scope="package")
def browser(_chromium_available: None) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Dialogs(list):
    """Every alert/confirm/prompt a page opened (each one dismissed): XSS shows up here."""


def _context(browser: object, site: str) -> tuple[object, Dialogs]:
    context = browser.new_context(base_url=site)  # type: ignore[attr-defined]
    context.set_default_timeout(15_000)
    dialogs = Dialogs()

    def on_page(page: object) -> None:
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))  # type: ignore[attr-defined]

    context.on("page", on_page)
    return context, dialogs


@pytest.fixture()
def page(browser: object, site: str) -> Iterator[object]:
    """A fresh anonymous reader: its own cookies; `page.dialogs` lists any dialog it saw."""
    context, dialogs = _context(browser, site)
    page = context.new_page()  # type: ignore[attr-defined]
    page.dialogs = dialogs
    yield page
    context.close()  # type: ignore[attr-defined]


def login(page: object, name: str = EDITOR, password: str = PASSWORD, *, goto: bool = True) -> None:
    """Log in through the form, as a person would (on the page already open when not `goto`)."""
    if goto:
        page.goto("/login")  # type: ignore[attr-defined]
    page.fill("input[name=name]", name)  # type: ignore[attr-defined]
    page.fill("input[name=password]", password)  # type: ignore[attr-defined]
    with page.expect_navigation():  # type: ignore[attr-defined]
        page.click("form:has(input[name=password]) button[type=submit]")  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def editor_page(browser: object, site: str) -> Iterator[object]:
    """One logged-in editor for a whole module (logging in is tested on its own)."""
    context, dialogs = _context(browser, site)
    page = context.new_page()  # type: ignore[attr-defined]
    page.dialogs = dialogs
    login(page)
    yield page
    context.close()  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def artifacts() -> Path:
    out = Path(os.environ.get("TRUTHMETER_ARTIFACTS") or Path(__file__).parent / "out")
    out.mkdir(parents=True, exist_ok=True)
    return out
