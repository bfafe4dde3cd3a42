"""The build side of the fault battery (issue 10): every case gets one line, the documented exit code
(0 built, 1 fails SHACL, 2 bad input/configuration, 3 environment), no traceback, and no loss — the
previous export set stays complete and consistent (checksums of every file before == after, or all
new), whatever is killed when."""
from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import rdflib
from click.testing import CliRunner

from kg.cli import main
from kg.namespaces import KG

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
EXTRA = "壁仞科技發布BR100晶片，採用台積電7納米工藝，面向數據中心的人工智能訓練。沐曦則推出MXC500加速卡。\n"
OFF_TOPIC = ("今日天氣晴朗，市民紛紛到公園散步，茶樓生意興隆。\n\n"
             "區議會討論重建街市的方案，居民希望保留舊式攤檔，並增加無障礙設施。\n") * 3


# ---------------------------------------------------------------------------------------------- helpers

def kg(*args: str, env: dict | None = None, preexec=None, cwd: Path | None = None,
       timeout: float = 120) -> subprocess.CompletedProcess:
    """`kg ARGS` in a subprocess; never a traceback, whatever the outcome."""
    result = subprocess.run([sys.executable, "-m", "kg.cli", *args], capture_output=True, text=True,
                            env={**os.environ, **(env or {})}, preexec_fn=preexec, cwd=cwd, timeout=timeout)
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    return result


def rebuild(seeds: Path, out: Path, *extra: str, **kw) -> subprocess.CompletedProcess:
    return kg("rebuild", "--seeds", str(seeds), "--out", str(out), "--no-model", "-q", *extra, **kw)


def error_line(result) -> str:
    """The one line a failing command prints."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def digest(path: Path) -> str:
    data = path.read_bytes()
    if path.name == "report.md":   # its timing table differs from run to run
        data = data.split(b"\n## Timing")[0]
    return hashlib.sha256(data).hexdigest()


def snapshot(out: Path) -> dict[str, str]:
    """Checksum of every export file as a reader sees it (through OUT/graph.ttl, OUT/entities/...)."""
    files = {}
    for top in sorted(out.iterdir()):
        if top.name.startswith("."):
            continue
        if top.is_dir():
            for path in sorted(top.rglob("*")):
                if path.is_file():
                    files[str(path.relative_to(out))] = digest(path)
        elif top.is_file():
            files[top.name] = digest(top)
    return files


def leftovers(out: Path) -> list[str]:
    """Anything beyond the published version and its predecessor, and any stale staging or temp entry."""
    names = sorted(p.name for p in (out / ".versions").iterdir()) if (out / ".versions").is_dir() else []
    stale = [n for n in names if not n.isdigit()] + ([] if len(names) <= 2 else names[:-2])
    stale += [p.name for p in out.iterdir() if p.name.startswith(".staging") or p.name.endswith((".old", ".tmp"))]
    return stale


def copy_seeds(target: Path, extra: str | None = None) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(SEEDS.glob("*.txt")):
        shutil.copy(path, target / path.name)
    if extra:
        (target / "zz_extra.txt").write_text(extra, encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Input A (the seeds) and input B (seeds + one more article), each built once as the reference."""
    root = tmp_path_factory.mktemp("faults")
    seeds_a, seeds_b = copy_seeds(root / "a"), copy_seeds(root / "b", EXTRA)
    refs = {}
    for name, seeds in (("a", seeds_a), ("b", seeds_b)):
        result = rebuild(seeds, root / f"ref-{name}")
        assert result.returncode == 0, result.stderr
        refs[name] = snapshot(root / f"ref-{name}")
    assert refs["a"] != refs["b"] and "entities/Nvidia.html" in refs["a"]
    return {"root": root, "a": seeds_a, "b": seeds_b, "snap_a": refs["a"], "snap_b": refs["b"]}


def fresh_out(built, name: str) -> Path:
    """An OUT holding the published set of input A."""
    out = built["root"] / name
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(built["root"] / "ref-a", out, symlinks=True)   # relative links: the same published layout
    assert snapshot(out) == built["snap_a"]
    return out


# ---------------------------------------------------------------------------------------- publishing

def test_layout_is_one_symlink_switch_and_readers_work_through_it(built):
    out = fresh_out(built, "layout")
    assert os.readlink(out / ".current").startswith(".versions/")
    for name in ("graph.ttl", "graph.nt", "graph.html", "report.md", "facts.csv", "graph.graphml", "entities"):
        assert os.readlink(out / name) == f".current/{name}"
    result = rebuild(built["b"], out)
    assert result.returncode == 0 and snapshot(out) == built["snap_b"]
    assert sorted(p.name for p in (out / ".versions").iterdir()) == ["1", "2"]   # the new one and its predecessor
    count = kg("query", "--graph", str(out / "graph.ttl"), "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert count.returncode == 0 and str(len(rdflib.Graph().parse(out / "graph.ttl"))) in count.stdout
    page = kg("view", "英偉達", "--exports", str(out))
    assert page.returncode == 0 and Path(page.stdout.strip()).is_file()
    assert kg("candidates", "--graph", str(out / "graph.ttl")).returncode == 0


def test_kg_serve_follows_the_switch(built):
    """`kg serve` over OUT/graph.ttl answers from the new set after rebuilds (the version it started on is gone)."""
    import json
    import urllib.error
    import urllib.parse
    import urllib.request

    from kg.serve import ServeOptions, start_server

    out = fresh_out(built, "serve")
    server, _ = start_server(out / "graph.ttl", ServeOptions(port=0, workers=1))
    query = "/sparql?query=" + urllib.parse.quote("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")

    def get(path: str) -> bytes:
        request = urllib.request.Request(server.url + path, headers={"Accept": "application/sparql-results+json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.read()

    def count() -> int | None:
        try:   # a busy or reloading server may answer 503 for a moment (a loaded CI machine): ask again
            return int(json.loads(get(query))["results"]["bindings"][0]["n"]["value"])
        except (urllib.error.URLError, TimeoutError, ConnectionError):
            return None

    try:
        first, deadline = count(), time.monotonic() + 20
        while first is None and time.monotonic() < deadline:
            time.sleep(0.3)
            first = count()
        assert first == len(rdflib.Graph().parse(out / "graph.ttl"))
        for _ in range(2):
            assert rebuild(built["b"], out).returncode == 0
        assert not (out / ".versions" / "1").exists()
        expected = len(rdflib.Graph().parse(out / "graph.ttl"))
        deadline = time.monotonic() + 20
        while count() != expected:
            assert time.monotonic() < deadline, "kg serve did not reload after the switch"
            time.sleep(0.3)
        assert hashlib.sha256(get("/graph.html")).hexdigest() == built["snap_b"]["graph.html"]
        assert hashlib.sha256(get("/entities/Nvidia.html")).hexdigest() == built["snap_b"]["entities/Nvidia.html"]
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("point, expect", [
    ("export:turtle", "a"), ("export:html", "a"), ("publish:staged", "a"),
    ("publish:versioned", "a"), ("publish:linked", "a"), ("publish:switched", "b")])
def test_kill_at_each_publish_step_leaves_a_complete_set(built, point, expect):
    out = fresh_out(built, f"kill-{point.replace(':', '-')}")
    result = rebuild(built["b"], out, env={"KG_FAULT_KILL_AT": point})
    assert result.returncode == -signal.SIGKILL
    assert snapshot(out) == built[f"snap_{expect}"]
    if point in ("export:html", "publish:versioned", "publish:switched"):   # a partial set, an unpublished
        again = rebuild(built["a"], out)  # version, an old one: the next rebuild cleans each up
        assert again.returncode == 0, again.stderr
        assert snapshot(out) == built["snap_a"] and leftovers(out) == []


@pytest.mark.slow
def test_kill_at_random_moments_of_a_larger_rebuild(built, tmp_path):
    big = tmp_path / "big"
    for i in range(4):                    # the seeds in four subdirectories: 20 documents
        copy_seeds(big / f"c{i}")
    ref = tmp_path / "ref-big"
    args = [sys.executable, "-m", "kg.cli", "rebuild", "--seeds", str(big), "--out", str(ref), "--no-model", "-q"]
    started, staged = time.monotonic(), None
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while proc.poll() is None:
        if staged is None and list((ref / ".versions").glob(".staging-*")):
            staged = time.monotonic()
        time.sleep(0.005)
    assert proc.returncode == 0 and staged is not None
    duration, exporting = time.monotonic() - started, time.monotonic() - staged
    snap_big = snapshot(ref)
    out = fresh_out(built, "kill-random")
    outcomes = []
    # two kills while reading and extracting, then kills at delays after the staging directory appears
    # (exporters writing, fsync, rename, links, the switch)
    for when in [("start", duration * 0.4)] + [
            ("staging", exporting * f) for f in (0.0, 0.3, 0.6, 0.85, 0.95, 1.0, 1.1)]:
        proc = subprocess.Popen([sys.executable, "-m", "kg.cli", "rebuild", "--seeds", str(big), "--out", str(out),
                                 "--no-model", "-q"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if when[0] == "staging":
            deadline = time.monotonic() + 60
            while not list((out / ".versions").glob(".staging-*")) and proc.poll() is None:
                assert time.monotonic() < deadline
                time.sleep(0.005)
        time.sleep(when[1])
        proc.send_signal(signal.SIGKILL)
        _, err = proc.communicate(timeout=60)
        assert b"Traceback" not in err
        now = snapshot(out)
        assert now in (built["snap_a"], snap_big), f"inconsistent export set after a kill at {when}"
        outcomes.append("new" if now == snap_big else "old")
        if now == snap_big:               # back to A for the next try
            out = fresh_out(built, "kill-random")
    assert rebuild(built["a"], out).returncode == 0
    assert snapshot(out) == built["snap_a"] and leftovers(out) == []
    print("kill outcomes:", outcomes)


def test_plain_export_dir_of_the_old_layout_is_adopted_and_its_leftovers_removed(built):
    out = built["root"] / "legacy"
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(built["root"] / "ref-a" / ".current", out, symlinks=False,
                    ignore=shutil.ignore_patterns(".manifest.json"))
    (out / ".staging-x1y2").mkdir()
    (out / ".staging-x1y2" / "graph.nt").write_bytes(b"x" * 1000)
    (out / ".entities.old").mkdir()
    (out / ".entities.old" / "a.html").write_text("old", encoding="utf-8")
    (out / ".graph.ttl.abc.tmp").write_text("half", encoding="utf-8")
    (out / "notes.txt").write_text("mine", encoding="utf-8")   # not an export: left alone
    assert snapshot(out)["graph.ttl"] == built["snap_a"]["graph.ttl"]
    result = rebuild(built["b"], out)
    assert result.returncode == 0, result.stderr
    assert (out / "graph.ttl").is_symlink() and (out / "entities").is_symlink()
    assert not (out / ".staging-x1y2").exists() and not (out / ".entities.old").exists()
    assert not (out / ".graph.ttl.abc.tmp").exists() and (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert {k: v for k, v in snapshot(out).items() if k != "notes.txt"} == built["snap_b"]


@pytest.mark.parametrize("point", ["publish:versioned", "publish:linked", "publish:switched"])
def test_kill_while_adopting_the_old_layout_loses_nothing(built, point):
    out = built["root"] / f"legacy-kill-{point.split(':')[1]}"
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(built["root"] / "ref-a" / ".current", out, ignore=shutil.ignore_patterns(".manifest.json"))
    result = rebuild(built["b"], out, env={"KG_FAULT_KILL_AT": point})   # the first commit is the adoption
    assert result.returncode == -signal.SIGKILL
    assert snapshot(out) == built["snap_a"]
    again = rebuild(built["b"], out)
    assert again.returncode == 0, again.stderr
    assert snapshot(out) == built["snap_b"] and leftovers(out) == []
    assert all((out / name).is_symlink() for name in ("graph.ttl", "entities", "report.md"))


def test_second_rebuild_of_one_out_waits_then_names_the_holder(built):
    out = fresh_out(built, "locked")
    with open(out / ".lock", "r+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        started = time.monotonic()
        result = rebuild(built["b"], out, "--wait", "0.5")
        waited = time.monotonic() - started
    assert result.returncode == 3 and waited >= 0.5
    line = error_line(result)
    assert f"pid {os.getpid()}" in line and "another kg rebuild" in line
    assert snapshot(out) == built["snap_a"]
    assert rebuild(built["b"], out).returncode == 0     # the lock is free again


def test_a_bug_is_one_line_exit_70_and_keeps_the_previous_set(built, monkeypatch):
    out = fresh_out(built, "bug")
    import kg.exporters.rdf_files

    def broken(build, directory):
        raise ValueError("something unforeseen\nsecond line")

    monkeypatch.setattr(kg.exporters.rdf_files, "export_ntriples", broken)
    result = CliRunner().invoke(main, ["rebuild", "--seeds", str(built["b"]), "--out", str(out), "--no-model", "-q"])
    assert result.exit_code == 70
    assert result.stderr == ("error: internal error (ValueError: something unforeseen); the previous exports are "
                             "unchanged; KG_DEBUG=1 shows the traceback\n")
    assert snapshot(out) == built["snap_a"] and leftovers(out) == []


def test_a_configuration_file_that_is_not_utf8_is_exit_2(tmp_path, monkeypatch):
    """triggers.tsv and rules.tsv are read by their own modules; a bad byte there is still one line, exit 2."""
    import kg.pipeline

    def bad(*args, **kwargs):
        raise UnicodeDecodeError("utf-8", b"\xb0\xa1", 0, 1, "invalid start byte")

    monkeypatch.setattr(kg.pipeline, "check_rules", bad)
    result = CliRunner().invoke(main, ["rebuild", "--seeds", str(SEEDS), "--out", str(tmp_path / "out"), "--no-model"])
    assert result.exit_code == 2
    assert result.stderr == ("error: a configuration file under ontology/ is not UTF-8 text (byte 0: invalid start "
                             "byte); save it as UTF-8\n")


# ---------------------------------------------------------------------------------- the environment

def test_out_is_a_regular_file_or_under_one(built, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory", encoding="utf-8")
    for out, words in ((blocker, "is a file, not a directory"), (blocker / "sub" / "out", "cannot be created")):
        started = time.monotonic()
        result = rebuild(built["a"], out)
        assert result.returncode == 3 and words in error_line(result)
        assert time.monotonic() - started < 20   # refused before the build, not after it
    assert blocker.read_text(encoding="utf-8") == "not a directory"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only directories")
def test_read_only_out_or_parent(built, tmp_path):
    out = fresh_out(built, "readonly")
    parent = tmp_path / "ro"
    parent.mkdir()
    os.chmod(out, 0o555)
    os.chmod(parent, 0o555)
    try:
        assert "not writable" in error_line(result := rebuild(built["b"], out)) and result.returncode == 3
        assert "not writable" in error_line(result := rebuild(built["b"], parent / "new")) and result.returncode == 3
    finally:
        os.chmod(out, 0o755)
        os.chmod(parent, 0o755)
    assert snapshot(out) == built["snap_a"]


def test_read_only_file_system(built, tmp_path):
    """Root ignores file modes, so the read-only case is a read-only bind mount (skipped where mounting is not allowed)."""
    ro = tmp_path / "ro"
    ro.mkdir()
    shutil.copytree(built["root"] / "ref-a", ro / "out", symlinks=True)
    mounted = subprocess.run(["mount", "--bind", str(ro), str(ro)], capture_output=True).returncode == 0
    if not mounted:
        pytest.skip("cannot bind-mount here (needs root with CAP_SYS_ADMIN)")
    try:
        if subprocess.run(["mount", "-o", "remount,ro,bind", str(ro)], capture_output=True).returncode != 0:
            pytest.skip("cannot remount read-only here")
        result = rebuild(built["b"], ro / "out")
        assert result.returncode == 3 and error_line(result) == f"error: --out {ro / 'out'}: {ro / 'out'} is not writable"
        result = rebuild(built["b"], ro / "new")
        assert result.returncode == 3 and error_line(result) == f"error: --out {ro / 'new'}: {ro} is not writable (cannot create it)"
        assert snapshot(ro / "out") == built["snap_a"]
    finally:
        subprocess.run(["umount", str(ro)], capture_output=True)


def test_file_size_limit_is_exit_3_and_keeps_the_previous_set(built):
    out = fresh_out(built, "ulimit")

    def limit():   # `ulimit -f 100` (KB); SIGXFSZ left at its default: kg must ignore it itself
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))

    result = rebuild(built["b"], out, preexec=limit)
    assert result.returncode == 3
    line = error_line(result)
    assert "File too large" in line and "ulimit -f" in line and "previous exports are unchanged" in line
    assert snapshot(out) == built["snap_a"]
    assert rebuild(built["b"], out).returncode == 0 and leftovers(out) == []


def test_a_full_disk_is_exit_3_and_keeps_the_previous_set(built, tmp_path):
    """A real ENOSPC: a 4 MB tmpfs that holds one export set but not two (skipped where mounting is refused)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN)")
    try:
        out = disk / "out"
        shutil.copytree(built["root"] / "ref-a", out, symlinks=True)
        result = rebuild(built["b"], out)
        assert result.returncode == 3
        line = error_line(result)
        assert line.startswith(f"error: cannot write the exports to {out}: No space left on device (writing ")
        assert line.endswith("; the previous exports are unchanged")
        assert snapshot(out) == built["snap_a"]
        assert sorted(p.name for p in (out / ".versions").iterdir()) == ["1"]   # the partial set is gone
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)


def test_no_space_left_is_exit_3_and_keeps_the_previous_set(built, monkeypatch):
    out = fresh_out(built, "enospc")
    import kg.io

    real = kg.io.atomic_write_bytes

    def full(path, data):
        if Path(path).name == "graph.nt":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real(path, data)

    monkeypatch.setattr(kg.io, "atomic_write_bytes", full)
    result = CliRunner().invoke(main, ["rebuild", "--seeds", str(built["b"]), "--out", str(out), "--no-model", "-q"])
    assert result.exit_code == 3, result.output
    assert result.stderr.strip() == (f"error: cannot write the exports to {out}: No space left on device "
                                     "(writing graph.nt); the previous exports are unchanged")
    assert snapshot(out) == built["snap_a"]


@pytest.mark.parametrize("kind", ["gb18030", "binary"])
def test_lexicon_that_is_not_utf8_text_is_exit_2_with_file_and_line(tmp_path, kind):
    original = (ROOT / "ontology" / "lexicon.tsv").read_text(encoding="utf-8")
    lexicon = tmp_path / "lexicon.tsv"
    if kind == "gb18030":
        lexicon.write_bytes(original.encode("gb18030"))
    else:
        lexicon.write_bytes(original.encode("utf-8")[:300] + b"\x00\x01\x02\x03" * 50)
    result = rebuild(SEEDS, tmp_path / "out", "--lexicon", str(lexicon))
    assert result.returncode == 2
    line = error_line(result)
    assert str(lexicon) in line and " line " in line
    assert ("not UTF-8 text" in line and "gb18030" in line) if kind == "gb18030" else "NUL byte" in line
    assert not (tmp_path / "out" / "graph.ttl").exists()


def test_eighty_character_cjk_entity_name_builds(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    name = "新創企業星河算" + "算" * 76 + "科技"
    (seeds / "long.txt").write_text(f"{name}發布首款推理晶片，採用12納米工藝，面向人工智能推理。\n", encoding="utf-8")
    result = kg("rebuild", "--seeds", str(seeds), "--out", str(tmp_path / "out"), "-q")
    assert result.returncode == 0, result.stderr
    pages = list((tmp_path / "out" / "entities").iterdir())
    assert pages and max(len(p.name.encode("utf-8")) for p in pages) <= 255


# ------------------------------------------------------------------------------------------ inputs

def _page(marker: bytes) -> bytes:
    """A 16 KB on-topic page with one stray byte in the middle."""
    body = ("英偉達H100芯片採用台積電4納米工藝，集成800億晶體管。沐曦的MXN100採用7納米製程，已在推理側得到應用。\n"
            * 80).encode("utf-8")[:16_000]
    cut = body.rfind("。".encode("utf-8"), 0, 8000) + 3
    return body[:cut] + marker + body[cut:]


@pytest.mark.parametrize("marker", [b"\xff", b"\x00"])
def test_one_stray_byte_keeps_the_article_and_says_where(tmp_path, marker):
    from kg.pipeline import BuildOptions, build

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    data = _page(marker)
    (seeds / "page.txt").write_bytes(data)
    report = build(seeds, tmp_path / "out", BuildOptions(use_model=False, formats=("turtle", "report")))
    assert report.kept >= 1
    offset = data.index(marker)
    note = [p for p in report.problems if p.startswith("page.txt:")]
    assert len(note) == 1 and f"at byte {offset}" in note[0] and note[0].split(": ", 1)[1].startswith("1 ")
    assert f"at byte {offset}" in (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    graph = rdflib.Graph().parse(tmp_path / "out" / "graph.ttl")
    text = data.decode("utf-8", errors="replace").replace("\x00", " ")
    for ev in graph.subjects(rdflib.RDF.type, KG.Evidence):   # offsets still map into the file's text
        start, end = int(graph.value(ev, KG.startOffset)), int(graph.value(ev, KG.endOffset))
        assert str(graph.value(ev, KG.sentence)).strip()[:10] in text[start:end]


@pytest.mark.parametrize("encoding", ["gb18030", "big5"])
def test_stray_byte_in_a_gb18030_or_big5_page_is_repaired_too(encoding):
    from kg.ingest.decode import decode_lenient

    text = "英偉達H100芯片採用台積電4納米工藝，集成800億晶體管。沐曦的MXN100採用7納米製程，已在推理側得到應用。\n" * 80
    data = (text.replace("英偉達", "英伟达") if encoding == "gb18030" else text).encode(encoding)
    cut = data.find("。".encode(encoding), len(data) // 2)
    decoded, found, notes = decode_lenient(data[:cut] + b"\xff" + data[cut:])
    assert found == encoding and decoded.count("\ufffd") == 1
    assert notes == [f"1 undecodable byte(s) replaced (read as {encoding}), the first at byte {cut}"]


def test_relative_default_paths_say_where_they_looked(tmp_path):
    result = kg("rebuild", "-q", cwd=tmp_path)
    assert result.returncode == 2
    line = error_line(result)
    assert str(tmp_path / "seeds") in line and "--seeds" in line


def test_every_input_not_read_is_reported_and_subdirectories_are_read(tmp_path):
    seeds = tmp_path / "seeds"
    (seeds / "2025" / "11").mkdir(parents=True)
    gpu = "英偉達H100芯片採用台積電4納米工藝，集成800億晶體管。摩爾線程發布MTT S4000加速卡。\n"
    (seeds / "top.txt").write_text(gpu, encoding="utf-8")
    (seeds / "2025" / "11" / "nested.txt").write_text(gpu.replace("H100", "H200"), encoding="utf-8")
    (seeds / "news.2025.11.20").write_text(gpu, encoding="utf-8")            # odd suffix: read as text
    (seeds / "scan.pdf").write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 10)
    (seeds / "blob.dat").write_bytes(bytes(range(256)) * 40)                 # odd suffix, not text
    os.mkfifo(seeds / "pipe.txt")
    (seeds / "x.txt").mkdir()                                                # a directory named x.txt: read into
    (seeds / "x.txt" / "inside.txt").write_text(gpu, encoding="utf-8")
    (seeds / "loop").symlink_to(seeds)
    (seeds / "alias").symlink_to(seeds / "2025")                           # read once, not twice
    (seeds / "dangling.txt").symlink_to(tmp_path / "missing.txt")
    (seeds / "dup.txt").write_text(gpu, encoding="utf-8")
    (seeds / "dup.html").write_text(f"<html><body><p>{gpu}</p></body></html>", encoding="utf-8")
    (seeds / "same").write_text(gpu, encoding="utf-8")                      # doc:same, like same.txt
    (seeds / "same.txt").write_text(gpu, encoding="utf-8")
    out = tmp_path / "out"
    result = kg("rebuild", "--seeds", str(seeds), "--out", str(out), "--no-model", timeout=60)
    assert result.returncode == 0, result.stderr     # dup.txt + dup.html: two documents, SHACL conforms
    report = (out / "report.md").read_text(encoding="utf-8")
    for name, why in (("scan.pdf", "unsupported type .pdf"), ("pipe.txt", "not a regular file (FIFO)"),
                      ("loop", "symlink loop"), ("dangling.txt", "dangling symlink"),
                      ("blob.dat", "not read: binary file"), ("news.2025.11.20", "no text or HTML suffix; read as utf-8 text"),
                      ("same and same.txt", "one document IRI"),
                      ("alias", "a directory already read under another name")):
        assert f"{name}: {why}" in result.stderr, (name, result.stderr)
        assert f"{name}: {why}" in report, name
    names = {str(o) for o in rdflib.Graph().parse(out / "graph.ttl").objects(None, KG.fileName)}
    assert {"top.txt", "2025/11/nested.txt", "x.txt/inside.txt", "news.2025.11.20", "dup.txt", "dup.html"} <= names
    assert "same" in names and "same.txt" not in names and "dup.txt and dup.html" not in result.stderr


def test_out_inside_seeds_is_not_read_back(tmp_path):
    seeds = copy_seeds(tmp_path / "seeds")
    for _ in range(2):
        result = rebuild(seeds, seeds / "exports")
        assert result.returncode == 0, result.stderr
    assert "problem: exports: the --out directory, not read" in result.stdout
    assert "read 5 document(s)" in result.stdout


def test_inputs_named_by_relative_path_are_deterministic(tmp_path):
    from kg.pipeline import BuildOptions, build

    options = BuildOptions(use_model=False, formats=("ntriples",))
    for run in ("one", "two"):
        seeds = tmp_path / run / "seeds"
        for sub in (("b", "a") if run == "two" else ("a", "b")):
            copy_seeds(seeds / sub)
        build(seeds, tmp_path / run / "out", options)
    one, two = ((tmp_path / run / "out" / "graph.nt").read_bytes() for run in ("one", "two"))
    assert one == two and b"/doc/a/000_01e9f8b696474cfd>" in one
    rdflib.Graph().parse(data=one.decode("utf-8"), format="nt")   # every IRI valid


# -------------------------------------------------------------------------------- models, empty builds

@pytest.mark.parametrize("damage", ["missing", "corrupt"])
def test_model_that_cannot_be_loaded_warns_and_require_model_refuses(tmp_path, monkeypatch, damage):
    import kg.mentions.ner

    broken = tmp_path / "ner"
    if damage == "corrupt":
        broken.mkdir()
        (broken / kg.mentions.ner.META_FILE).write_text("{not json", encoding="utf-8")
        (broken / "config.cfg").write_text("[nlp]\n", encoding="utf-8")
    monkeypatch.setattr(kg.mentions.ner, "DEFAULT_MODEL_DIR", broken)
    seeds = copy_seeds(tmp_path / "seeds")
    result = CliRunner().invoke(main, ["rebuild", "--seeds", str(seeds), "--out", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 0, result.output
    warning = [line for line in result.stderr.splitlines() if line.startswith("warning: NER model unavailable")]
    assert len(warning) == 1 and "--require-model" in warning[0]
    report = (tmp_path / "out" / "report.md").read_text(encoding="utf-8").splitlines()
    assert report[2].startswith("> **Warning:** NER model unavailable")
    refused = CliRunner().invoke(main, ["rebuild", "--seeds", str(seeds), "--out", str(tmp_path / "out2"),
                                        "--require-model", "-q"])
    assert refused.exit_code == 2
    assert refused.stderr.startswith("error: cannot start: NER model unavailable") and len(refused.stderr.splitlines()) == 1


def test_relation_model_that_cannot_be_loaded_warns_too(tmp_path, monkeypatch):
    import kg.claims.relation_model

    broken = tmp_path / "rel"
    broken.mkdir()
    (broken / "model.json").write_text("{broken", encoding="utf-8")
    monkeypatch.setattr(kg.claims.relation_model, "DEFAULT_MODEL_DIR", broken)
    args = ["rebuild", "--seeds", str(SEEDS), "--out", str(tmp_path / "out"), "-q"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("warning: relation model unavailable") and len(result.stderr.splitlines()) == 1
    refused = CliRunner().invoke(main, args + ["--require-model"])
    assert refused.exit_code == 2 and refused.stderr.startswith("error: cannot start: relation model unavailable")


def test_off_topic_build_does_not_replace_a_non_empty_export(built, tmp_path):
    out = fresh_out(built, "empty")
    off = tmp_path / "off"
    off.mkdir()
    (off / "weather.txt").write_text(OFF_TOPIC, encoding="utf-8")
    result = rebuild(off, out)
    assert result.returncode == 2
    line = error_line(result)
    assert "no article" in line and "not replacing the previous export" in line and "--allow-empty" in line
    assert snapshot(out) == built["snap_a"]
    allowed = rebuild(off, out, "--allow-empty")
    assert allowed.returncode == 0, allowed.stderr
    assert "articles kept: 0" in (out / "report.md").read_text(encoding="utf-8")
