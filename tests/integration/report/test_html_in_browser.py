"""The HTML report as a reader sees it: Debian's headless Chromium opens the file, and the
test checks over the DevTools protocol that every plot rendered at its size, that the
console stayed clean and that nothing was fetched from the network.

Needs /usr/bin/chromium (`apt-get install chromium`); skipped without it unless
BAKEOFF_REQUIRE_BROWSER=1, as CI sets it. The screenshots stay in the test's tmp dir
(report-top.png: the first screen at 1280 px; report-full.png: the whole page).
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bakeoff.report.commands import render_reports
from tests.unit.report.capacity_runs import sweep_and_search_run

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
WIDTH = 1280
HEIGHT = 900
START_TIMEOUT_S = 30.0
CALL_TIMEOUT_S = 30.0


def _require_browser() -> None:
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} is absent: apt-get install chromium (Debian's package)"
    if os.environ.get("BAKEOFF_REQUIRE_BROWSER") == "1":
        pytest.fail(reason + "; BAKEOFF_REQUIRE_BROWSER=1 demands the browser test")
    pytest.skip(reason)


class DevTools:
    """A minimal DevTools-protocol client: one page target, flat session, events kept."""

    def __init__(self, url: str) -> None:
        import websocket  # the dev extra's websocket-client

        self._ws = websocket.create_connection(url, timeout=CALL_TIMEOUT_S, suppress_origin=True)
        self._next = 0
        self.events: list[dict[str, Any]] = []
        self.session: str | None = None

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params}
        if self.session is not None:
            message["sessionId"] = self.session
        self._ws.send(json.dumps(message))
        deadline = time.monotonic() + CALL_TIMEOUT_S
        while time.monotonic() < deadline:
            reply = json.loads(self._ws.recv())
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            if "method" in reply:
                self.events.append(reply)
        raise TimeoutError(f"{method}: no reply in {CALL_TIMEOUT_S} s")

    def wait_for(self, method: str) -> dict[str, Any]:
        for event in self.events:
            if event["method"] == method:
                return event
        deadline = time.monotonic() + CALL_TIMEOUT_S
        while time.monotonic() < deadline:
            reply: dict[str, Any] = json.loads(self._ws.recv())
            if "method" in reply:
                self.events.append(reply)
                if reply["method"] == method:
                    return reply
        raise TimeoutError(f"no {method} in {CALL_TIMEOUT_S} s")

    def close(self) -> None:
        self._ws.close()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[DevTools]:
    _require_browser()
    pytest.importorskip("websocket", reason="websocket-client (the dev extra) is needed")
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    process = subprocess.Popen(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--hide-scrollbars",
            f"--window-size={WIDTH},{HEIGHT}",
            f"--user-data-dir={profile}",
            "--remote-debugging-port=0",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + START_TIMEOUT_S
        while not port_file.exists() or len(port_file.read_text().split()) < 2:
            if process.poll() is not None:
                pytest.fail(f"chromium exited with {process.returncode} before listening")
            if time.monotonic() > deadline:
                pytest.fail(f"chromium wrote no {port_file.name} in {START_TIMEOUT_S} s")
            time.sleep(0.05)
        port, path = port_file.read_text().split()[:2]
        client = DevTools(f"ws://127.0.0.1:{port}{path}")
        target = client.call("Target.createTarget", url="about:blank")["targetId"]
        client.session = client.call("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        try:
            yield client
        finally:
            client.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def real_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real two-engine run with repetitions and several intervals per trial."""
    pytest.importorskip("duckdb")
    folder = tmp_path_factory.mktemp("results")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bakeoff",
            "run",
            "ycsb-a",
            "--engine",
            "sqlite",
            "--engine",
            "duckdb",
            "--repeat",
            "2",
            "--records",
            "500",
            "--duration",
            "1.5",
            "--interval",
            "0.25",
            "--output",
            str(folder),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    (run_dir,) = [p for p in folder.iterdir() if not p.name.startswith(".")]
    return run_dir


MEASURE = """
(() => {
  const box = (el) => { const r = el.getBoundingClientRect(); return [r.width, r.height]; };
  const figures = [...document.querySelectorAll('figure')].map((f) => {
    const svg = f.querySelector('svg');
    const img = f.querySelector('img');
    const out = {id: f.id, svg: null, img: null};
    if (svg) {
      const vb = svg.viewBox.baseVal;
      const [w, h] = box(svg);
      out.svg = {width: w, height: h, vbWidth: vb ? vb.width : 0, vbHeight: vb ? vb.height : 0,
                 paths: svg.querySelectorAll('path').length,
                 text: [...svg.querySelectorAll('text')].map((t) => t.textContent).join(' ')};
    }
    if (img) {
      out.img = {complete: img.complete, naturalWidth: img.naturalWidth,
                 naturalHeight: img.naturalHeight, width: box(img)[0]};
    }
    return out;
  });
  const main = document.querySelector('main');
  return JSON.stringify({
    figures,
    images: document.images.length,
    looseSvgs: [...document.querySelectorAll('svg')].filter((s) => !s.closest('figure')).length,
    mainWidth: main ? main.getBoundingClientRect().width : 0,
    scrollWidth: document.documentElement.scrollWidth,
    tables: document.querySelectorAll('table.summary').length,
    height: document.documentElement.scrollHeight,
  });
})()
"""


def _errors(events: list[dict[str, Any]]) -> list[str]:
    found = []
    for event in events:
        method, params = event["method"], event.get("params", {})
        if method == "Runtime.exceptionThrown":
            found.append(json.dumps(params.get("exceptionDetails", {}))[:500])
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            found.append(json.dumps(params.get("args", []))[:500])
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            found.append(json.dumps(params["entry"])[:500])
    return found


def _save_png(data: str, path: Path) -> None:
    path.write_bytes(base64.b64decode(data))


def test_report_renders_in_chromium(browser: DevTools, real_run: Path, tmp_path: Path) -> None:
    html = tmp_path / "report.html"
    render_reports([real_run], html=html)

    browser.call("Runtime.enable")
    browser.call("Log.enable")
    browser.call("Network.enable")
    browser.call("Page.enable")
    browser.call(
        "Emulation.setDeviceMetricsOverride",
        width=WIDTH,
        height=HEIGHT,
        deviceScaleFactor=1,
        mobile=False,
    )
    browser.call("Page.navigate", url=html.as_uri())
    browser.wait_for("Page.loadEventFired")

    measured = json.loads(browser.call("Runtime.evaluate", expression=MEASURE)["result"]["value"])

    shot = browser.call("Page.captureScreenshot", format="png")
    _save_png(shot["data"], tmp_path / "report-top.png")
    full = browser.call(
        "Page.captureScreenshot",
        format="png",
        captureBeyondViewport=True,
        clip={"x": 0, "y": 0, "width": WIDTH, "height": measured["height"], "scale": 1},
    )
    _save_png(full["data"], tmp_path / "report-full.png")
    print(f"screenshots: {tmp_path / 'report-top.png'}, {tmp_path / 'report-full.png'}")

    figures = measured["figures"]
    # One workload: throughput, latency over time, percentiles, throughput by operation,
    # then a telemetry dashboard per engine (its own statistics: docs/telemetry.md).
    ids = [figure["id"] for figure in figures]
    dashboards = ["plot-ycsb-a-dashboard-sqlite", "plot-ycsb-a-dashboard-duckdb"]
    assert len(figures) == 6 and ids[4:] == dashboards, ids
    assert measured["tables"] == 1
    assert measured["looseSvgs"] == 0
    for figure in figures:
        svg = figure["svg"]
        assert svg is not None, f"{figure['id']}: no plot"
        # Each plot fills the text column, keeps its aspect ratio and has drawn content.
        assert svg["width"] >= 0.95 * measured["mainWidth"] > 600, figure
        ratio = svg["vbHeight"] / svg["vbWidth"]
        assert abs(svg["height"] / svg["width"] - ratio) < 0.01 * ratio + 0.005, figure
        assert svg["paths"] > 10, figure
        if figure["id"] not in dashboards:  # a dashboard is one engine's
            assert "sqlite" in svg["text"] and "duckdb" in svg["text"], figure
        if figure["img"] is not None:
            assert figure["img"]["complete"] and figure["img"]["naturalWidth"] > 0
    # Nothing sticks out sideways at laptop width.
    assert measured["scrollWidth"] <= WIDTH

    assert _errors(browser.events) == []
    requested = [
        e["params"]["request"]["url"]
        for e in browser.events
        if e["method"] == "Network.requestWillBeSent"
    ]
    assert requested, "the page load was not observed"
    assert all(url.startswith(("file:", "data:")) for url in requested), requested

    # Printable: the print stylesheet applies and the plots keep their size on paper.
    browser.call("Emulation.setEmulatedMedia", media="print")
    printed = json.loads(browser.call("Runtime.evaluate", expression=MEASURE)["result"]["value"])
    assert all(f["svg"]["width"] > 300 and f["svg"]["height"] > 100 for f in printed["figures"])
    pdf = base64.b64decode(browser.call("Page.printToPDF", printBackground=True)["data"])
    assert pdf.startswith(b"%PDF") and len(pdf) > 20_000
    assert _errors(browser.events) == []


CAPACITY = """
(() => {
  const section = document.querySelector('section#capacity');
  const details = section.querySelector('details.steps');
  details.open = true;
  const steps = details.querySelector('table').getBoundingClientRect();
  const plots = [...section.querySelectorAll('figure svg')].map((svg) => {
    const r = svg.getBoundingClientRect();
    return {width: r.width, height: r.height, paths: svg.querySelectorAll('path').length,
            text: [...svg.querySelectorAll('text')].map((t) => t.textContent).join(' ')};
  });
  return JSON.stringify({
    plots,
    stepsHeight: steps.height,
    rows: section.querySelectorAll('table[data-table="engines"] tbody tr').length,
    mainWidth: document.querySelector('main').getBoundingClientRect().width,
    scrollWidth: document.documentElement.scrollWidth,
  });
})()
"""


def test_capacity_section_renders_in_chromium(browser: DevTools, tmp_path: Path) -> None:
    html = tmp_path / "report.html"
    render_reports([sweep_and_search_run(tmp_path / "results")], html=html)
    browser.call("Runtime.enable")
    browser.call("Log.enable")
    browser.call("Page.enable")
    browser.call(
        "Emulation.setDeviceMetricsOverride",
        width=WIDTH,
        height=HEIGHT,
        deviceScaleFactor=1,
        mobile=False,
    )
    browser.call("Page.navigate", url=html.as_uri())
    browser.wait_for("Page.loadEventFired")
    measured = json.loads(browser.call("Runtime.evaluate", expression=CAPACITY)["result"]["value"])
    assert measured["rows"] == 1
    assert measured["stepsHeight"] > 50, "the step history does not open"
    assert len(measured["plots"]) == 2
    for plot in measured["plots"]:
        assert plot["width"] >= 0.95 * measured["mainWidth"] > 600, plot
        assert plot["paths"] > 10, plot
        assert "redis" in plot["text"], plot
    assert measured["scrollWidth"] <= WIDTH
    assert _errors(browser.events) == []
