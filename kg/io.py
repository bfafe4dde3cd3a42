"""Atomic file writes: an export is either the old file or the complete new one, never half of either."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory and an atomic rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_umask())   # mkstemp makes 0600; exports are ordinary readable files
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as error:
        Path(tmp).unlink(missing_ok=True)
        if error.filename is None:   # write(2) errors (ENOSPC, EFBIG) name no file: say which
            raise OSError(error.errno, error.strerror, str(path)) from None
        raise
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def atomic_write_text(path: Path, text: str) -> None:
    """UTF-8 text version of :func:`atomic_write_bytes` (always ``\\n`` line ends)."""
    atomic_write_bytes(path, text.encode("utf-8"))


def fsync_dir(path: Path) -> None:
    """Make a rename or a new entry in ``path`` durable (best effort: some file systems refuse it)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def replace_symlink(link: Path, target: str) -> None:
    """Point ``link`` at ``target`` in one step: a new symlink beside it, renamed over it (atomic)."""
    link = Path(link)
    tmp = link.parent / f".{link.name}.tmp-{os.getpid()}"
    tmp.unlink(missing_ok=True)
    os.symlink(target, tmp)
    try:
        os.replace(tmp, link)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class DirectoryLock:
    """An exclusive ``flock`` on ``directory/.lock`` that holds the owner's pid, so a second writer
    can say who is in the way. The kernel drops the lock when its process dies (even by ``kill -9``).

    ``wait``: seconds to wait for a running holder; then :class:`kg.errors.OutputError` (exit 3)."""

    POLL = 0.1

    def __init__(self, directory: Path, wait: float = 0.0, what: str = "kg rebuild", on_wait=None):
        self.path = Path(directory) / ".lock"
        self.wait = max(0.0, wait)
        self.what = what
        self.on_wait = on_wait   # called once with a line when we have to wait
        self.fd: int | None = None

    def __enter__(self) -> "DirectoryLock":
        import fcntl
        import time

        from kg.errors import OutputError

        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise OutputError(f"cannot write to {self.path.parent}: {error.strerror or error}") from None
        deadline = time.monotonic() + self.wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if self.on_wait is not None and self.wait > 0:
                    self.on_wait(f"waiting up to {self.wait:g} s for another {self.what} ({_read_holder(fd)}) "
                                 f"writing to {self.path.parent}")
                    self.on_wait = None
                if time.monotonic() >= deadline:
                    holder = _read_holder(fd)
                    os.close(fd)
                    raise OutputError(
                        f"{self.path.parent} is being written by another {self.what} ({holder}); waited "
                        f"{self.wait:g} s (--wait SECONDS waits longer)") from None
                time.sleep(self.POLL)
            except OSError:   # a file system without locks (some network mounts): go on unlocked
                break
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self.fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            try:
                os.ftruncate(self.fd, 0)
            except OSError:
                pass
            os.close(self.fd)   # closing drops the flock
            self.fd = None


def _read_holder(fd: int) -> str:
    try:
        text = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
    except OSError:
        text = ""
    return f"pid {text}" if text.isdigit() else "pid unknown"


def fault_point(name: str) -> None:
    """Test hook for the crash tests (tests/test_faults_build.py): ``KG_FAULT_KILL_AT=name`` makes the
    process kill itself with SIGKILL here, as a power cut or an OOM kill would. Costs one dict lookup."""
    if os.environ.get("KG_FAULT_KILL_AT") == name:
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


def exchange(a: Path, b: Path) -> bool:
    """Swap two directory entries in one step (Linux ``renameat2(RENAME_EXCHANGE)``); False where the
    system cannot, and then nothing has changed."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(str(a)), at_fdcwd, os.fsencode(str(b)), rename_exchange)
    return result == 0
