"""Input discovery: which files under the input directory are read, and reading them into documents.

The walk goes into subdirectories (a document is named by its path relative to the input directory,
``2025/11/a.txt``), follows symlinks but never into a loop or twice into one directory, never reads the
``--out`` directory, and skips with a note what is hidden, not a regular file, unreadable or of a type that
is never text (:data:`kg.ingest.readers.NOT_TEXT_SUFFIXES`); other suffixes are tried as text.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

from kg.errors import DecodeError, InputError
from kg.ingest.documents import read_document
from kg.ingest.readers import INPUT_SUFFIXES, NOT_TEXT_SUFFIXES, formats_named
from kg.model import Document
from kg.namespaces import document_iri
from kg.report import BuildReport, Progress


def input_files(seeds_dir: Path, report: BuildReport | None = None, progress: Progress = None,
                out_dir: Path | None = None) -> list[tuple[Path, str]]:
    """Every file under ``seeds_dir``, subdirectories included, as ``(path, name)`` sorted by name, the
    name being the path relative to ``seeds_dir`` (``2025/11/a.txt``), which names the document.
    Every entry not read is noted in ``report.problems`` (and said through ``progress``) with why:
    a hidden name, a type that is never text, not a regular file (FIFO, socket, device), a dangling
    symlink, a symlink loop, an unreadable directory. Files with another suffix are tried as text."""
    if not seeds_dir.exists():
        where = "" if seeds_dir.is_absolute() else f" (looked for {Path.cwd() / seeds_dir}: relative to the current directory)"
        raise InputError(f"seeds directory not found: {seeds_dir}{where}; pass --seeds DIR")
    if not seeds_dir.is_dir():
        raise InputError(f"not a directory: {seeds_dir}")
    files: list[tuple[Path, str]] = []
    skipped: list[str] = []
    root_stat = seeds_dir.stat()
    root_key = (root_stat.st_dev, root_stat.st_ino)
    seen = {root_key}
    if out_dir is not None and out_dir.is_dir():   # --out inside --seeds: never read our own exports
        out_stat = out_dir.stat()
        seen.add(("out", out_stat.st_dev, out_stat.st_ino))
    _walk(seeds_dir, "", (root_key,), seen, files, skipped)
    files.sort(key=lambda item: item[1])
    by_iri: dict[str, list[str]] = {}
    for _, name in files:
        by_iri.setdefault(document_iri(name), []).append(name)
    dropped = set()
    for iri, names in sorted(by_iri.items()):
        if len(names) > 1:
            dropped.update(names[1:])
            skipped.append(f"{' and '.join(names)}: one document IRI <{iri}>, so their facts and dates would "
                           f"merge into one document: only {names[0]} is read; rename the other")
    files = [item for item in files if item[1] not in dropped]
    for line in sorted(skipped):
        if report is not None:
            report.problems.append(line)
        if progress is not None:
            progress(f"input: {line}")
    if not files:
        detail = f" ({'; '.join(sorted(skipped))})" if skipped else ""
        raise InputError(f"no articles in {seeds_dir} (expected .txt or .html files){detail}")
    return files


def _walk(directory: Path, prefix: str, ancestors: tuple, seen: set, files: list, skipped: list) -> None:
    """``ancestors``: the directories above (a link to one is a loop); ``seen``: every directory read
    so far (a second link to one is not read twice, so links cannot multiply the input)."""
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError as error:
        skipped.append(f"{prefix or '.'}: directory not read ({error.strerror or error})")
        return
    for entry in entries:
        name = prefix + entry.name
        if entry.name.startswith("."):
            if entry.name not in (".gitkeep", ".DS_Store"):
                skipped.append(f"{name}: hidden, not read")
            continue
        try:
            info = os.stat(entry.path)          # follows symlinks
        except OSError as error:
            if entry.is_symlink():
                loop = error.errno == 40        # ELOOP
                skipped.append(f"{name}: {'symlink loop' if loop else 'dangling symlink'}, not read")
            else:
                skipped.append(f"{name}: not read ({error.strerror or error})")
            continue
        if stat.S_ISDIR(info.st_mode):
            key = (info.st_dev, info.st_ino)
            if ("out",) + key in seen:
                skipped.append(f"{name}: the --out directory, not read")
                continue
            if key in ancestors:
                skipped.append(f"{name}: symlink loop (a directory already read), not read")
                continue
            if key in seen:
                skipped.append(f"{name}: a directory already read under another name, not read")
                continue
            seen.add(key)
            _walk(Path(entry.path), name + "/", ancestors + (key,), seen, files, skipped)
        elif not stat.S_ISREG(info.st_mode):
            kind = ("FIFO" if stat.S_ISFIFO(info.st_mode) else "socket" if stat.S_ISSOCK(info.st_mode)
                    else "device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode) else "special file")
            skipped.append(f"{name}: not a regular file ({kind}), not read")
        elif Path(entry.name).suffix.lower() in NOT_TEXT_SUFFIXES:
            skipped.append(f"{name}: unsupported type {Path(entry.name).suffix.lower()} ({formats_named()} only), not read")
        elif not os.access(entry.path, os.R_OK):
            skipped.append(f"{name}: unreadable (permission denied), not read")
        else:
            files.append((Path(entry.path), name))


def read_documents(files: list[tuple[Path, str]], report: BuildReport, progress: Progress = None) -> list[Document]:
    """Each file of ``files`` (as :func:`input_files` gives them) read into a document, in order. A file that
    cannot be decoded or read is noted in ``report.problems`` (and said through ``progress``) and left out,
    as is a note for a file read as text without an input suffix; nothing read at all is an InputError."""
    say = progress or (lambda message: None)
    documents = []
    for path, name in files:
        try:
            document = read_document(path, name=name)
        except DecodeError as error:
            note = f"{error}" if path.suffix.lower() in INPUT_SUFFIXES else f"not read: {error}"
            report.problems.append(f"{name}: {note}")
            say(f"input: {name}: {note}")
            continue
        except OSError as error:
            report.problems.append(f"{name}: cannot read ({error.strerror})")
            say(f"input: {name}: cannot read ({error.strerror})")
            continue
        if path.suffix.lower() not in INPUT_SUFFIXES:
            note = f"{name}: no {formats_named('or')} suffix; read as {document.encoding} text"
            report.problems.append(note)
            say(f"input: {note}")
        documents.append(document)
        report.problems += [f"{document.name}: {repair}" for repair in document.repairs]
        report.bytes_read += path.stat().st_size
        for article in document.articles:
            report.articles.append((document.name, article.title or "(untitled)", article.relevant,
                                    round(article.relevance, 3), article.reason))
    if not documents:
        detail = "; ".join(report.problems) or "no input files"
        raise InputError(f"nothing could be built from {files[0][0].parent if files else 'the input'}: {detail}")
    return documents
