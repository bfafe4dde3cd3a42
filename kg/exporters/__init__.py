"""Exporters: one format per module, chosen by name, imported lazily (like rdflib's plugin registry).

Each exporter is ``export(build, directory) -> list[Path]``: it writes the files of one format for
``build`` (a :class:`kg.graph.built.BuiltGraph`) into ``directory``, a staging directory.
:func:`write_exports` runs the exporters a build asks for; :class:`ExportDir` publishes the staged set as a
whole:

    OUT/.lock                       flock held by the running rebuild (its pid inside)
    OUT/.versions/<n>/              one complete export set per build (graph.ttl, entities/, ...)
    OUT/.current -> .versions/<n>   the one symlink a publish switches (os.replace of a new link)
    OUT/graph.ttl -> .current/graph.ttl, OUT/entities -> .current/entities, ...   stable names

Every file is written and synced in ``.versions/.staging-*`` first; the staged directory is renamed to
``.versions/<n>`` and then ``.current`` is switched in one rename, so whoever opens ``OUT/graph.ttl``
or ``OUT/entities/x.html`` sees the complete old set or the complete new one, whatever is killed
when. (A reader that must read several files of one set resolves ``OUT/.current`` once.) The next
rebuild, under the lock, removes older versions, staging leftovers, and the ``.staging-*`` /
``.entities.old`` leftovers of the earlier in-place layout, and turns plain export files from that
layout into a first version."""
from __future__ import annotations

import importlib
import json
import os
import re
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from kg.errors import OutputError
from kg.io import DirectoryLock, exchange, fault_point, fsync_dir, replace_symlink

if TYPE_CHECKING:
    from kg.graph.built import BuiltGraph

#: an exporter: writes its files for the built graph into the directory, returns their paths
Exporter = Callable[["BuiltGraph", Path], list[Path]]

#: name -> (module, function), in the order the exports are produced.
REGISTRY: dict[str, tuple[str, str]] = {
    "turtle": ("kg.exporters.rdf_files", "export_turtle"),
    "ntriples": ("kg.exporters.rdf_files", "export_ntriples"),
    "nquads": ("kg.exporters.quads", "export_nquads"),
    "facts": ("kg.exporters.tables", "export_facts_csv"),
    "graphml": ("kg.exporters.tables", "export_graphml"),
    "html": ("kg.exporters.html_bridge", "export_html_views"),
    "report": ("kg.exporters.report", "export_report"),
}
#: exports written only when asked for (`kg rebuild --format NAME`), e.g. because they need an optional package
OPTIONAL: dict[str, tuple[str, str]] = {
    "parquet": ("kg.exporters.tables", "export_facts_parquet"),
}

VERSIONS = ".versions"
CURRENT = ".current"
MANIFEST = ".manifest.json"
#: what the earlier in-place layout wrote as plain files and directories straight into OUT
LEGACY_NAMES = ("graph.ttl", "graph.nt", "graph.html", "report.md", "facts.csv", "graph.graphml", "entities")
_STALE = re.compile(r"^\.(?:staging-.*|(?:%s)\.old|.+\.tmp(?:-\d+)?)$" % "|".join(map(re.escape, LEGACY_NAMES)))


def get(name: str) -> Exporter:
    module, function = REGISTRY.get(name) or OPTIONAL[name]
    return getattr(importlib.import_module(module), function)


def write_exports(built: "BuiltGraph", target: "ExportDir", formats: Iterable[str],
                  before_report: Callable[[], None]) -> None:
    """Every exporter of ``formats`` writes into a fresh staging version; only a complete set is published
    (one symlink switch, see :class:`ExportDir`). Cannot write: OutputError, the old set untouched.
    ``before_report`` runs right before the report is written (or after the last export without one)."""
    report = built.report
    formats = tuple(formats)
    staging = None
    try:
        staging = target.new_staging()
        for name in formats:
            if name != "report":
                _write_export(name, built, staging)
        before_report()
        if "report" in formats:
            _write_export("report", built, staging)
        manifest = {"articles_kept": report.kept, "entities": sum(report.entities_per_class.values()),
                    "triples": report.triples, "documents": len(built.documents)}
        report.outputs = [p.name for p in target.publish(staging, manifest)]
    except OSError as error:
        if staging is not None:
            target.discard(staging)
        raise OutputError(f"cannot write the exports to {target.out}: {describe_os_error(error, target.out)}; "
                          "the previous exports are unchanged") from None
    except BaseException:
        if staging is not None:
            target.discard(staging)
        raise


def _write_export(name: str, built: "BuiltGraph", staging: Path) -> None:
    report = built.report
    with report.timer(f"export:{name}"):
        try:
            get(name)(built, staging)
        except ImportError as error:
            report.problems.append(f"export {name} unavailable: {error}")
    fault_point(f"export:{name}")


def check_out_dir(out_dir: Path, create: bool = False) -> None:
    """Before any work: ``out_dir`` must be a directory that can be written, or be creatable as one.
    Raises :class:`OutputError` (exit 3) with one line otherwise; ``create``: make the directory."""
    out = Path(out_dir)
    probe = out
    while not os.path.lexists(probe) and probe.parent != probe:
        probe = probe.parent
    if not probe.is_dir():
        if probe == out:
            kind = "a dangling symlink" if probe.is_symlink() and not probe.exists() else "a file"
            raise OutputError(f"--out {out} is {kind}, not a directory")
        raise OutputError(f"--out {out} cannot be created: {probe} is a file, not a directory")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise OutputError(f"--out {out}: {probe} is not writable" + ("" if probe == out else " (cannot create it)"))
    if not create:
        return
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"--out {out} cannot be created: {error.strerror or error}") from None


def describe_os_error(error: OSError, root: Path | None = None) -> str:
    """``No space left on device (writing graph.nt)``: the reason and the file, for one-line messages."""
    reason = error.strerror or str(error)
    hint = ": over the file size limit, `ulimit -f`" if error.errno == 27 else ""   # EFBIG
    name = error.filename
    if name:
        try:
            name = str(Path(name).relative_to(root)) if root is not None else str(name)
        except ValueError:
            name = str(name)
        name = re.sub(r"^\.versions/\.staging-[^/]+/", "", name)
        return f"{reason} (writing {name}{hint})"
    return reason + (f" ({hint[2:]})" if hint else "")


class ExportDir:
    """``with ExportDir(out) as target:`` locks OUT, tidies it (see the module docstring), and publishes
    staged export sets with :meth:`publish`. Environment problems are :class:`OutputError` (exit 3)."""

    def __init__(self, out_dir: Path, wait: float = 0.0, on_wait: Callable[[str], None] | None = None):
        self.out = Path(out_dir)
        self.versions = self.out / VERSIONS
        self.lock = DirectoryLock(self.out, wait, on_wait=on_wait)

    # -- context ---------------------------------------------------------------------------------
    def __enter__(self) -> "ExportDir":
        check_out_dir(self.out, create=True)
        self.lock.__enter__()
        try:
            self.recover()
        except OSError as error:
            self.lock.__exit__(None, None, None)
            raise OutputError(f"cannot tidy {self.out}: {describe_os_error(error, self.out)}") from None
        except BaseException:
            self.lock.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.lock.__exit__(*exc)

    # -- reading the current state --------------------------------------------------------------
    def current(self) -> Path | None:
        """The published version directory, or None."""
        link = self.out / CURRENT
        if not link.is_symlink():
            return None
        target = os.readlink(link)
        path = self.out / target
        if not re.fullmatch(rf"{re.escape(VERSIONS)}/\d+", target) or not path.is_dir():
            return None
        return path

    def previous_manifest(self) -> dict | None:
        """What the published set holds (``articles_kept``, ``entities``...), or None if there is none.
        Sets from before manifests: read from their report.md, else ``{"unknown": True}``."""
        current = self.current()
        if current is None:
            return None
        try:
            return json.loads((current / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass
        try:
            report = (current / "report.md").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return {"unknown": True} if any(current.iterdir()) else None
        match = re.search(r"articles kept: (\d+)", report)
        return {"articles_kept": int(match.group(1))} if match else {"unknown": True}

    # -- tidying at start -------------------------------------------------------------------------
    def recover(self) -> None:
        """Under the lock: adopt a plain (earlier layout) export set, repair the stable links, and remove
        every version but the published one and every leftover of an interrupted rebuild."""
        self.versions.mkdir(exist_ok=True)
        current = self.current()
        legacy = [self.out / n for n in LEGACY_NAMES
                  if os.path.lexists(self.out / n) and not (self.out / n).is_symlink()]
        if current is None and legacy:
            current = self._adopt(legacy)
        if current is not None:
            for entry in sorted(current.iterdir()):
                if not entry.name.startswith("."):
                    self._link(entry.name)
        for entry in self.versions.iterdir():
            if current is None or entry.name != current.name:
                _remove(entry)
        for entry in self.out.iterdir():
            if _STALE.match(entry.name):
                _remove(entry)
        self._drop_dangling_links()

    def _adopt(self, legacy: list[Path]) -> Path:
        """Plain export files of the earlier layout become version 1 (hard links, no copy of the data)."""
        staging = self.new_staging()
        for path in legacy:
            if path.is_dir():
                shutil.copytree(path, staging / path.name, copy_function=_link_or_copy, symlinks=True)
            elif path.is_file():
                _link_or_copy(path, staging / path.name)
        return self._commit(staging)

    def _link(self, name: str) -> None:
        """``OUT/name -> .current/name``, replacing a plain file or directory of the earlier layout."""
        link, want = self.out / name, f"{CURRENT}/{name}"
        if link.is_symlink():
            if os.readlink(link) == want:
                return
        elif link.is_dir():   # a directory cannot be renamed over: swap it with a new link in one step
            old = self.out / f".{name}.old"
            _remove(old)
            os.symlink(want, old)
            if not exchange(old, link):          # no RENAME_EXCHANGE: two steps, a moment without the name
                old.unlink()
                os.replace(link, old)
                replace_symlink(link, want)
            _remove(old)                         # now the old directory
            return
        replace_symlink(link, want)

    def _drop_dangling_links(self) -> None:
        for entry in self.out.iterdir():
            if entry.is_symlink() and not entry.name.startswith(".") and not entry.exists():
                if os.readlink(entry).startswith(CURRENT + "/"):
                    entry.unlink(missing_ok=True)

    # -- publishing -------------------------------------------------------------------------------
    def new_staging(self) -> Path:
        staging = self.versions / f".staging-{os.getpid()}"
        _remove(staging)
        staging.mkdir(parents=True)
        return staging

    def discard(self, staging: Path) -> None:
        shutil.rmtree(staging, ignore_errors=True)

    def publish(self, staging: Path, manifest: dict | None = None) -> list[Path]:
        """Make the staged set the published one; returns the stable paths (``OUT/graph.ttl``...)."""
        if manifest is not None:
            (staging / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, sort_keys=True) + "\n",
                                            encoding="utf-8")
        fault_point("publish:staged")
        final = self._commit(staging)
        names = sorted(e.name for e in final.iterdir() if not e.name.startswith("."))
        try:   # the switch is done: what follows is tidying, never a reason to fail the build
            self._drop_dangling_links()
        except OSError:
            pass
        return [self.out / name for name in names]

    def _commit(self, staging: Path) -> Path:
        for directory in [staging, *(p for p in staging.iterdir() if p.is_dir() and not p.is_symlink())]:
            fsync_dir(directory)
        final = self.versions / str(self._next_number())
        os.rename(staging, final)
        fsync_dir(self.versions)
        fault_point("publish:versioned")
        names = sorted(e.name for e in final.iterdir() if not e.name.startswith("."))
        plain = [n for n in names if os.path.lexists(self.out / n) and not (self.out / n).is_symlink()]
        for name in names:
            if name not in plain:
                self._link(name)   # a new name's link dangles until the switch: nothing is lost
        fault_point("publish:linked")
        replace_symlink(self.out / CURRENT, f"{VERSIONS}/{final.name}")
        fsync_dir(self.out)
        fault_point("publish:switched")
        for name in plain:          # files of the earlier layout: replaced only once the set they join is live
            self._link(name)
        return final

    def _next_number(self) -> int:
        numbers = [int(e.name) for e in self.versions.iterdir() if e.name.isdigit()]
        return max(numbers, default=0) + 1


def publish(staging: Path, out_dir: Path) -> list[Path]:
    """Publish the files staged in ``staging`` (any directory) as the new export set of ``out_dir``."""
    with ExportDir(out_dir) as target:
        own = target.new_staging()
        for item in sorted(Path(staging).iterdir()):
            os.replace(item, own / item.name)
        shutil.rmtree(staging, ignore_errors=True)
        return target.publish(own)


def _link_or_copy(src, dst) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
