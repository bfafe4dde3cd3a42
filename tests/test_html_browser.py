"""The HTML views in a real browser: Debian's headless Chromium driven over the DevTools protocol.

The protocol client below is stdlib only (a minimal RFC 6455 websocket over a loopback socket), so the
tests need nothing but /usr/bin/chromium (installed by `make browser`); without it they are skipped.
Pages are opened from file://; the test records every network request, console message, log entry
and uncaught exception the page produces.
"""
from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import rdflib
from rdflib.namespace import RDF, RDFS

from kg.exporters.html import export_html
from kg.io import atomic_write_bytes
from kg.namespaces import ID, KG

ROOT = Path(__file__).resolve().parents[1]
MINI = ROOT / "tests" / "data" / "html" / "mini.ttl"
SCREENSHOT = ROOT / "docs" / "screenshot.png"


def chromium_binary() -> str | None:
    for candidate in (os.environ.get("KG_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


# ------------------------------------------------------------------------------- DevTools protocol

class CDPError(RuntimeError):
    pass


class _WebSocket:
    """Just enough of RFC 6455 for the DevTools protocol: text frames, fragmentation, ping, close."""

    def __init__(self, host: str, port: int, path: str, timeout: float = 30.0) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
                          .encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise CDPError("websocket handshake: connection closed")
            head += chunk
        head, self._buffer = head.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise CDPError(f"websocket handshake refused: {head[:200]!r}")

    def _read(self, n: int) -> bytes:
        while len(self._buffer) < n:
            chunk = self.sock.recv(max(65536, n - len(self._buffer)))
            if not chunk:
                raise CDPError("websocket closed")
            self._buffer += chunk
        data, self._buffer = self._buffer[:n], self._buffer[n:]
        return data

    def _send_frame(self, opcode: int, payload: bytes) -> None:
        header = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 65536:
            header += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def send(self, text: str) -> None:
        self._send_frame(0x1, text.encode("utf-8"))

    def recv(self, timeout: float) -> str:
        self.sock.settimeout(timeout)
        message = b""
        while True:
            b0, b1 = self._read(2)
            opcode, n = b0 & 0x0F, b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            mask = self._read(4) if b1 & 0x80 else None
            payload = self._read(n)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            if opcode == 0x9:
                self._send_frame(0xA, payload)
                continue
            if opcode == 0x8:
                raise CDPError("websocket closed by the browser")
            if opcode in (0x0, 0x1, 0x2):
                message += payload
                if b0 & 0x80:
                    return message.decode("utf-8")

    def close(self) -> None:
        try:
            self._send_frame(0x8, b"")
        except OSError:
            pass
        self.sock.close()


class Chromium:
    """One headless Chromium process; `page()` opens a tab and records what the page does."""

    def __init__(self, binary: str, *, width: int = 1400, height: int = 900) -> None:
        self.width, self.height = width, height
        self.profile = tempfile.mkdtemp(prefix="kg-chromium-")
        self.proc = subprocess.Popen(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
             "--disable-extensions", "--hide-scrollbars", "--mute-audio", "--no-default-browser-check",
             f"--user-data-dir={self.profile}", "--remote-debugging-port=0", f"--window-size={width},{height}",
             "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = Path(self.profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and len(port_file.read_text().splitlines()) >= 2):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise CDPError("chromium did not start (no DevToolsActivePort)")
            time.sleep(0.05)
        port, path = port_file.read_text().splitlines()[:2]
        self.ws = _WebSocket("127.0.0.1", int(port), path)
        self._id = 0
        self.events: list[dict] = []

    def call(self, method: str, params: dict | None = None, *, session: str | None = None,
             timeout: float = 30.0) -> dict:
        self._id += 1
        message = {"id": self._id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        deadline = time.monotonic() + timeout
        while True:
            reply = json.loads(self.ws.recv(max(0.1, deadline - time.monotonic())))
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise CDPError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def pump(self, seconds: float) -> None:
        """Read events for a while (they are otherwise only read while waiting for replies)."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                self.events.append(json.loads(self.ws.recv(left)))
            except (socket.timeout, TimeoutError):
                return

    def page(self, url: str) -> "Page":
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, target, session)
        for domain in ("Page", "Runtime", "Log", "Network"):
            page.call(f"{domain}.enable")
        page.call("Emulation.setDeviceMetricsOverride",
                  {"width": self.width, "height": self.height, "deviceScaleFactor": 1, "mobile": False})
        page.navigate(url)
        return page

    def close(self) -> None:
        try:
            if hasattr(self, "ws"):
                self.ws.close()
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            shutil.rmtree(self.profile, ignore_errors=True)


class Page:
    def __init__(self, browser: Chromium, target: str, session: str) -> None:
        self.browser, self.target, self.session = browser, target, session

    def call(self, method: str, params: dict | None = None, **kw) -> dict:
        return self.browser.call(method, params, session=self.session, **kw)

    def _events(self, method: str) -> list[dict]:
        return [e["params"] for e in self.browser.events if e.get("sessionId") == self.session
                and e.get("method") == method]

    def navigate(self, url: str, timeout: float = 30.0) -> None:
        before = len(self._events("Page.loadEventFired"))
        self.call("Page.navigate", {"url": url})
        deadline = time.monotonic() + timeout
        while len(self._events("Page.loadEventFired")) == before:
            if time.monotonic() > deadline:
                raise CDPError(f"{url} did not load in {timeout}s")
            self.browser.pump(0.05)

    def js(self, expression: str):
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True})
        if "exceptionDetails" in result:
            raise CDPError(f"{expression!r}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 10.0):
        deadline = time.monotonic() + timeout
        while True:
            value = self.js(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise CDPError(f"timed out waiting for {expression!r}")
            time.sleep(0.05)

    def click(self, x: float, y: float) -> None:
        self.call("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y})
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1})

    def type_text(self, selector: str, text: str) -> None:
        self.js(f"document.querySelector({json.dumps(selector)}).focus()")
        self.call("Input.insertText", {"text": text})

    def screenshot(self) -> bytes:
        return base64.b64decode(self.call("Page.captureScreenshot", {"format": "png"})["data"])

    def requests(self) -> list[str]:
        return [e["request"]["url"] for e in self._events("Network.requestWillBeSent")]

    def problems(self) -> list[str]:
        """Console errors/warnings, log errors (CSP violations), failed loads and uncaught exceptions."""
        out = [f"exception: {e['exceptionDetails']}" for e in self._events("Runtime.exceptionThrown")]
        out += [f"console.{e['type']}: {e['args']}" for e in self._events("Runtime.consoleAPICalled")
                if e["type"] in ("error", "warning", "assert")]
        out += [f"log {e['entry']['level']}: {e['entry']['text']}" for e in self._events("Log.entryAdded")
                if e["entry"]["level"] in ("error", "warning")]
        out += [f"load failed: {e.get('errorText')} ({e.get('type')})" for e in self._events("Network.loadingFailed")]
        return out

    def close(self) -> None:
        self.browser.call("Target.closeTarget", {"targetId": self.target})

    def node_screen_position(self, slug: str) -> tuple[float, float]:
        return tuple(self.js(f"""(function () {{
            var v = kgView, e = v.data.entities.filter(function (x) {{ return x.id === {json.dumps(slug)}; }})[0];
            var p = v.network.canvasToDOM(v.network.getPosition(e.i));
            var r = document.getElementById('network').getBoundingClientRect();
            return [p.x + r.left, p.y + r.top]; }})()"""))


# ---------------------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def browser():
    binary = chromium_binary()
    if binary is None:
        pytest.skip("Debian's chromium is not installed (`make browser` installs it as root)")
    chrome = Chromium(binary)
    yield chrome
    chrome.close()


def _export(ttl: Path, out: Path) -> tuple[rdflib.Graph, Path]:
    graph = rdflib.Graph().parse(ttl)
    export_html(graph, out)
    return graph, out


@pytest.fixture(scope="module")
def mini_site(tmp_path_factory):
    return _export(MINI, tmp_path_factory.mktemp("html-mini"))


@pytest.fixture(scope="module")
def seed_site(request, tmp_path_factory):
    """The seed graph built by the pipeline (conftest's `seed_exports`), its full graph.ttl exported here."""
    exports = request.getfixturevalue("seed_exports")
    return _export(exports / "graph.ttl", tmp_path_factory.mktemp("html-seed"))


def entity_slugs(graph: rdflib.Graph) -> set[str]:
    """Entities as docs/graph-schema.md defines them: IRIs in the id: namespace with a type."""
    return {str(s)[len(str(ID)):] for s in graph.subjects(RDF.type, None) if str(s).startswith(str(ID))}


def slug_with_label(graph: rdflib.Graph, label: str) -> str:
    for s in graph.subjects(RDFS.label, None):
        if any(str(o) == label for o in graph.objects(s, RDFS.label)) and str(s).startswith(str(ID)):
            return str(s)[len(str(ID)):]
    raise AssertionError(f"no entity labelled {label}")


def all_sentences(graph: rdflib.Graph) -> set[str]:
    return {str(o) for o in graph.objects(None, KG.sentence)}


def open_overview(browser: Chromium, site: Path) -> Page:
    page = browser.page((site / "graph.html").as_uri())
    page.wait_for("window.kgView && kgView.ready", timeout=15)
    return page


def assert_clean(page: Page) -> None:
    assert page.problems() == []
    foreign = [u for u in page.requests() if not u.startswith(("file://", "data:", "about:"))]
    assert foreign == []


# ------------------------------------------------------------------------------------------ tests

@pytest.mark.parametrize("site_fixture", ["mini_site", "seed_site"])
def test_overview_loads_offline_and_draws_every_entity(browser, site_fixture, request):
    graph, site = request.getfixturevalue(site_fixture)
    page = open_overview(browser, site)
    try:
        browser.pump(0.3)
        assert_clean(page)
        assert any(u.startswith("file://") for u in page.requests())
        drawn = page.js("kgView.network.body.nodeIndices.length")
        assert drawn == len(entity_slugs(graph))
        assert set(page.js("kgView.nodes.getIds().map(function (i) { return kgView.data.entities[i].id; })")) \
            == entity_slugs(graph)
        settle_ms = page.js("kgView.readyAt")  # navigation start -> first complete frame; physics is off
        assert settle_ms < 3000, f"first full draw took {settle_ms:.0f} ms"
        assert page.js("kgView.network.physics.options.enabled") is False
        # legend: one filter per class drawn
        classes = {str(t) for s in graph.subjects(RDF.type, None) if str(s).startswith(str(ID))
                   for t in graph.objects(s, RDF.type)}
        assert page.js("document.querySelectorAll('#class-filters input').length") == len(classes)
    finally:
        page.close()


@pytest.mark.parametrize("site_fixture", ["mini_site", "seed_site"])
def test_search_traditional_finds_simplified(browser, site_fixture, request):
    graph, site = request.getfixturevalue(site_fixture)
    nvidia = slug_with_label(graph, "英伟达")
    page = open_overview(browser, site)
    try:
        page.type_text("#search", "英偉達")
        hits = page.wait_for("Array.from(document.querySelectorAll('#results li[data-id]'))"
                             ".map(function (li) { return li.getAttribute('data-id'); })")
        assert nvidia in hits
        assert page.js("kgView.network.getSelectedNodes().length") >= 1
        page.js("document.getElementById('search').value = ''; kgView.search('')")
        page.type_text("#search", "nvidia")
        assert nvidia in page.wait_for("kgView.lastHits && kgView.lastHits.length && kgView.lastHits")
        page.js("document.querySelector('#results li[data-id=\"' + %s + '\"]').click()" % json.dumps(nvidia))
        assert page.wait_for("document.getElementById('panel').getAttribute('data-entity')") == nvidia
        assert_clean(page)
    finally:
        page.close()


@pytest.mark.parametrize("site_fixture", ["mini_site", "seed_site"])
def test_click_node_shows_evidence_and_moves_to_neighbour(browser, site_fixture, request, tmp_path):
    graph, site = request.getfixturevalue(site_fixture)
    nvidia = slug_with_label(graph, "英伟达")
    sentences = all_sentences(graph)
    page = open_overview(browser, site)
    try:
        page.js(f"kgView.network.focus(kgView.data.entities.filter(function (e) {{ return e.id === "
                f"{json.dumps(nvidia)}; }})[0].i, {{scale: 1.2}})")
        time.sleep(0.1)
        page.click(*page.node_screen_position(nvidia))
        assert page.wait_for("document.getElementById('panel').classList.contains('open') && "
                             "document.getElementById('panel').getAttribute('data-entity')") == nvidia
        shown = page.js("Array.from(document.querySelectorAll('#panel .ev .sentence'))"
                        ".map(function (p) { return p.textContent; })")
        assert shown and set(shown) <= sentences
        assert page.js("document.querySelectorAll('#panel h4[data-predicate]').length") >= 1
        sources = page.js("Array.from(document.querySelectorAll('#panel .ev .src')).map(function (p) "
                          "{ return p.textContent; })")
        assert any(".txt" in s for s in sources)
        if site_fixture == "seed_site" or not SCREENSHOT.exists():
            time.sleep(0.5)                                  # the click's focus animation
            page.js("document.getElementById('tooltip').style.display = 'none'")
            atomic_write_bytes(SCREENSHOT, page.screenshot())
        # a related entity in the panel moves the view to it
        neighbour = page.js("document.querySelector('#panel li.rel button.ent').getAttribute('data-id')")
        page.js("document.querySelector('#panel li.rel button.ent').click()")
        assert page.wait_for("document.getElementById('panel').getAttribute('data-entity')") == neighbour
        assert page.js("kgView.network.getSelectedNodes().map(function (i) "
                       "{ return kgView.data.entities[i].id; })") == [neighbour]
        assert_clean(page)
    finally:
        page.close()


def _edge_click_point(page: Page):
    """Zoom to the middle of a straight edge whose midpoint is clear of every node; return that screen point."""
    return page.js("""(function () {
      var v = kgView, net = v.network, r = document.getElementById('network').getBoundingClientRect();
      var ids = v.nodes.getIds(), pos = net.getPositions(ids);
      var candidates = v.edges.get().filter(function (e) { return !e.smooth && e.from !== e.to; });
      candidates.sort(function (a, b) { return a.id < b.id ? -1 : 1; });
      for (var k = 0; k < candidates.length; k++) {
        var e = candidates[k], a = pos[e.from], b = pos[e.to];
        var mid = {x: (a.x + b.x) / 2, y: (a.y + b.y) / 2}, len = Math.hypot(a.x - b.x, a.y - b.y);
        net.moveTo({position: mid, scale: Math.min(3, Math.max(0.3, 300 / len)), animation: false});
        var m = net.canvasToDOM(mid);
        var clear = ids.every(function (i) { var p = net.canvasToDOM(pos[i]);
          return Math.hypot(p.x - m.x, p.y - m.y) > 60; });
        if (clear) return {x: m.x + r.left, y: m.y + r.top, id: e.id};
      }
      return null; })()""")


@pytest.mark.parametrize("site_fixture", ["mini_site", "seed_site"])
def test_click_edge_shows_its_evidence(browser, site_fixture, request):
    graph, site = request.getfixturevalue(site_fixture)
    page = open_overview(browser, site)
    try:
        point = _edge_click_point(page)
        assert point, "no clickable edge found"
        page.click(point["x"], point["y"])
        assert page.wait_for("document.querySelector('#panel.open h2') && "
                             "document.querySelector('#panel.open h2').textContent").startswith("關係證據")
        shown = page.js("Array.from(document.querySelectorAll('#panel .ev .sentence'))"
                        ".map(function (p) { return p.textContent; })")
        assert shown and set(shown) <= all_sentences(graph)
    finally:
        page.close()


def test_filters_and_reset(browser, mini_site):
    graph, site = mini_site
    page = open_overview(browser, site)
    try:
        visible = "kgView.nodes.get({filter: function (n) { return !n.hidden; }}).length"
        total = page.js(visible)
        page.js("document.getElementById('class-Company').click()")
        companies = sum(1 for _ in graph.subjects(RDF.type, KG.Company))
        assert page.js(visible) == total - companies
        page.js("document.getElementById('pred-develops').click()")
        assert page.js("kgView.edges.get({filter: function (e) { return !e.hidden; }}).length") \
            < page.js("kgView.edges.length")
        page.js("document.getElementById('reset').click()")
        assert page.js(visible) == total
        assert page.js("kgView.edges.get({filter: function (e) { return e.hidden; }}).length") == 0
        assert_clean(page)
    finally:
        page.close()


@pytest.mark.parametrize("site_fixture", ["mini_site", "seed_site"])
def test_entity_page_shows_two_hop_neighbourhood(browser, site_fixture, request):
    graph, site = request.getfixturevalue(site_fixture)
    nvidia = slug_with_label(graph, "英伟达")
    page = browser.page((site / "entities" / f"{nvidia}.html").as_uri())
    try:
        page.wait_for("window.kgView && kgView.ready", timeout=15)
        assert page.wait_for("document.getElementById('panel').getAttribute('data-entity')") == nvidia
        neighbours = {str(o) for o in graph.objects(ID[nvidia], None) if str(o).startswith(str(ID))} \
            | {str(s) for s in graph.subjects(None, ID[nvidia]) if str(s).startswith(str(ID))}
        drawn = set(page.js("kgView.nodes.getIds().map(function (i) { return kgView.data.entities[i].id; })"))
        assert {n[len(str(ID)):] for n in neighbours} | {nvidia} <= drawn
        assert page.js("document.querySelectorAll('#panel .ev .sentence').length") >= 1
        assert page.js("document.querySelector('#nav a').getAttribute('href')") == "../graph.html"
        browser.pump(0.2)
        assert_clean(page)
    finally:
        page.close()


EVIL_SCRIPT = "</script><script>window.__pwned=1</script>"
EVIL_IMG = '<img src=x onerror="window.__pwned=1">'


def test_article_text_cannot_run_script(browser, tmp_path):
    graph = rdflib.Graph().parse(MINI)
    nv = ID["NVIDIA"]
    graph.add((nv, RDFS.label, rdflib.Literal("英偉達" + EVIL_SCRIPT, lang="zh-Hant")))
    graph.remove((nv, RDFS.label, rdflib.Literal("英偉達", lang="zh-Hant")))
    graph.add((nv, rdflib.URIRef("http://www.w3.org/2004/02/skos/core#altLabel"), rdflib.Literal(EVIL_IMG)))
    for ev in graph.subjects(KG.sentence, None):
        if graph.value(ev, RDF.subject) == nv:
            graph.set((ev, KG.sentence, rdflib.Literal("英偉達" + EVIL_SCRIPT + EVIL_IMG + "\u2028\u2029")))
    for doc in graph.subjects(KG.fileName, None):
        graph.set((doc, rdflib.URIRef("http://purl.org/dc/terms/title"), rdflib.Literal(EVIL_IMG + EVIL_SCRIPT)))
    export_html(graph, tmp_path)
    for path in (tmp_path / "graph.html", tmp_path / "entities" / "NVIDIA.html"):
        text = path.read_text(encoding="utf-8")
        assert "window.__pwned" in text and "<script>window.__pwned" not in text
        page = browser.page(path.as_uri())
        try:
            page.wait_for("window.kgView && kgView.ready", timeout=15)
            page.js("kgView.showEntity('NVIDIA')")
            panel = page.js("document.getElementById('panel').textContent")
            assert EVIL_SCRIPT in panel and EVIL_IMG in panel
            page.type_text("#search", "onerror")
            assert "NVIDIA" in page.wait_for("kgView.lastHits && kgView.lastHits.length && kgView.lastHits")
            page.js("kgView.network.redraw()")
            browser.pump(0.3)
            assert page.js("typeof window.__pwned") == "undefined"
            assert page.js("document.querySelectorAll('img').length") == 0
            assert_clean(page)
        finally:
            page.close()


def test_pipeline_overview_draws_every_entity_of_graph_ttl(browser, seed_exports):
    """The graph.html that `kg rebuild` itself wrote (through the pipeline's exporter registry)."""
    graph = rdflib.Graph().parse(seed_exports / "graph.ttl")
    page = open_overview(browser, seed_exports)
    try:
        browser.pump(0.2)
        assert_clean(page)
        assert page.js("kgView.network.body.nodeIndices.length") == len(entity_slugs(graph))
        nvidia = slug_with_label(graph, "英伟达")
        assert (seed_exports / "entities" / f"{nvidia}.html").is_file()
    finally:
        page.close()


TIMELINE_SCREENSHOT = ROOT / "docs" / "timeline.png"


def _dated_site(tmp_path: Path) -> tuple[rdflib.Graph, Path]:
    """mini.ttl plus two dated articles restating NVIDIA develops H100 (doc 001 stays undated)."""
    from rdflib.namespace import DCTERMS

    graph = rdflib.Graph().parse(MINI)
    for name, date, sentence in (("005_later.txt", "2025-10-01", "英偉達再次確認H100由其研發。"),
                                 ("006_earlier.txt", "2024-05-20", "英偉達研發的H100即將發布。")):
        doc = rdflib.URIRef("https://w3id.org/cngpu-kg/doc/" + name[:-4])
        graph.add((doc, RDF.type, KG.Document))
        graph.add((doc, KG.fileName, rdflib.Literal(name)))
        graph.add((doc, DCTERMS.date, rdflib.Literal(date, datatype=rdflib.XSD.date)))
        graph.add((doc, DCTERMS.title, rdflib.Literal("標題<b>" + name + "</b>")))
        ev = rdflib.URIRef("https://w3id.org/cngpu-kg/evidence/" + name[:3])
        for p, o in ((RDF.type, KG.Evidence), (RDF.subject, ID.NVIDIA), (RDF.predicate, KG.develops),
                     (RDF.object, ID.H100), (KG.document, doc), (KG.sentence, rdflib.Literal(sentence))):
            graph.add((ev, p, o))
    export_html(graph, tmp_path)
    return graph, tmp_path


def _expected_span(graph: rdflib.Graph, s, p, o) -> tuple[str, str, int]:
    from rdflib.namespace import DCTERMS

    dates, undated = [], 0
    for ev in graph.subjects(RDF.subject, s):
        if graph.value(ev, RDF.predicate) == p and graph.value(ev, RDF.object) == o:
            date = graph.value(graph.value(ev, KG.document), DCTERMS.date)
            if date is None:
                undated += 1
            else:
                dates.append(str(date))
    return (min(dates) if dates else "", max(dates) if dates else "", undated)


def test_entity_page_timeline_by_date_undated_last(browser, tmp_path):
    graph, site = _dated_site(tmp_path)
    page = browser.page((site / "entities" / "NVIDIA.html").as_uri())
    try:
        page.wait_for("window.kgView && kgView.ready", timeout=15)
        assert page.wait_for("document.getElementById('panel').getAttribute('data-entity')") == "NVIDIA"
        # the timeline: one statement per evidence sentence, by document date, undated last
        dates = page.js("Array.from(document.querySelectorAll('#panel ol.timeline li.stmt'))"
                        ".map(function (li) { return li.getAttribute('data-date'); })")
        statements = sum(1 for ev in graph.subjects(RDF.type, KG.Evidence)
                         if ID.NVIDIA in (graph.value(ev, RDF.subject), graph.value(ev, RDF.object))
                         and graph.value(ev, RDF.predicate) != RDF.type)
        assert len(dates) == statements
        dated = [d for d in dates if d]
        assert dated == sorted(dated) and dates == dated + [""] * (len(dates) - len(dated))
        assert dated[0] == "2024-05-20" and dated[-1] == "2025-10-01"
        headers = page.js("Array.from(document.querySelectorAll('#panel ol.timeline li.date'))"
                          ".map(function (li) { return li.textContent; })")
        assert headers[0] == "2024-05-20" and headers[-1] == "無日期 undated"
        # an undated document says so in its source line
        sources = page.js("Array.from(document.querySelectorAll('#panel .ev .src')).map(function (p) "
                          "{ return p.textContent; })")
        assert any("001_9a1a79ad6dcf0176.txt · 無日期 undated" in s for s in sources)
        assert any("《標題<b>005_later.txt</b>》" in s for s in sources)          # titles are text, not markup
        assert page.js("document.querySelectorAll('#panel b').length") == 0
        # each fact says when it was first and last stated
        first, last, undated = _expected_span(graph, ID.NVIDIA, KG.develops, ID.H100)
        when = page.js("""(function () {
            var h = Array.from(document.querySelectorAll('#panel h4[data-predicate="develops"]'))[0];
            var li = h.nextElementSibling.querySelector('li.rel button.ent[data-id="H100"]').parentNode;
            var w = li.querySelector('.when');
            return [w.getAttribute('data-first'), w.getAttribute('data-last'), w.textContent]; })()""")
        assert when[:2] == [first, last] == ["2024-05-20", "2025-10-01"]
        assert when[2].startswith("首次 first stated 2024-05-20 · 最近 last stated 2025-10-01")
        assert (f"{undated} undated" in when[2]) == (undated > 0)
        page.js("document.querySelector('#panel ol.timeline').previousElementSibling.scrollIntoView()")
        time.sleep(0.3)
        atomic_write_bytes(TIMELINE_SCREENSHOT, page.screenshot())     # docs/timeline.png, in the README
        assert_clean(page)
    finally:
        page.close()


def test_seed_entity_timeline_in_date_order(browser, seed_site):
    """The timeline panel of a seed entity page (the seeds have one dated article: the rest come last)."""
    graph, site = seed_site
    nvidia = slug_with_label(graph, "英伟达")
    page = browser.page((site / "entities" / f"{nvidia}.html").as_uri())
    try:
        page.wait_for("window.kgView && kgView.ready", timeout=15)
        page.wait_for("!!document.querySelector('#panel ol.timeline li.stmt')")
        dates = page.js("Array.from(document.querySelectorAll('#panel ol.timeline li.stmt'))"
                        ".map(function (li) { return li.getAttribute('data-date'); })")
        dated = [d for d in dates if d]
        assert dated == sorted(dated) and dates[:len(dated)] == dated and len(dates) >= 10
        assert_clean(page)
    finally:
        page.close()
