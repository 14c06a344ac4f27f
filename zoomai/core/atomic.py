"""Writing files and folders: atomically, and never over anything the program did not make.

Every writer of zoomai goes through `write_file` or `replace_folder`. The new content is built
beside its target under a temporary name and renamed into place, so a failure (disk full, a
crash) leaves the old content or nothing. An existing target is replaced only when it is
something the caller recognises as its own output (`owned`), or an empty folder; a symlink, a
device, a user's folder or a file where a folder is expected is refused with one message.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from zoomai.core.errors import ZoomaiError, display

Owned = Callable[[Path], bool]

REASONS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EROFS: "read-only file system",
    errno.ENAMETOOLONG: "file name too long",
    errno.ELOOP: "too many levels of symbolic links (a symlink loop?)",
    errno.ENOTDIR: "a part of the path is not a folder",
    errno.EISDIR: "is a folder; expected a file",
    errno.ENOENT: "no such file or folder",
    errno.EEXIST: "already exists",
}


def os_error_text(exc: OSError) -> str:
    """One line for an OSError: '<path>: <reason>' (e.g. 'reports/x: no space left on the device')."""
    reason = REASONS.get(exc.errno or 0) or (exc.strerror or str(exc) or type(exc).__name__).lower()
    name = exc.filename
    return f"{display(name)}: {reason}" if name not in (None, "") else reason


def _kind(path: Path) -> str:
    """What is at `path`, in words (for refusals)."""
    mode = path.lstat().st_mode
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISREG(mode):
        return "a file"
    return "a special file (device, pipe or socket)"


def check_replaceable(path: Path, owned: Owned, folder: bool, what: str) -> None:
    """ZoomaiError unless `path` may be written: absent (its parent then a folder, or absent
    for a folder target), an empty folder (folder targets), or recognised by `owned`.

    `what` names the output in messages, e.g. 'tenant folder'.
    """
    path = Path(path)
    try:
        present = path.is_symlink() or path.exists()
        if not present:
            parent = path.parent
            if parent.exists() and not parent.is_dir():
                raise ZoomaiError(f"{display(parent)}: is {_kind(parent)}, not a folder")
            if not folder and not parent.is_dir():
                raise ZoomaiError(f"{display(parent)}: folder does not exist")
            return
        kind = _kind(path)
        if folder and kind == "a folder" and (not any(path.iterdir()) or owned(path)):
            return
        if not folder and kind == "a file" and owned(path):
            return
    except OSError as exc:
        raise ZoomaiError(os_error_text(exc)) from None
    expected = "a folder" if folder else "a file"
    if kind != expected:
        raise ZoomaiError(f"{display(path)}: is {kind}, expected {expected}; refusing to replace it")
    raise ZoomaiError(f"{display(path)}: exists and is not a {what} made by zoomai; refusing to replace it")


def write_file(path: Path | str, content: str | bytes, owned: Owned, what: str = "file") -> Path:
    """Write `content` to `path` atomically (a temporary file beside it, then a rename), after
    check_replaceable. Disk full and other OS errors become a one-line ZoomaiError."""
    path = Path(path)
    check_replaceable(path, owned, folder=False, what=what)
    data = content.encode("utf-8") if isinstance(content, str) else content
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        _remove(tmp)
        raise ZoomaiError(os_error_text(exc)) from None
    except BaseException:
        _remove(tmp)
        raise
    return path


def _remove(path: Path | str | None) -> None:
    if path is None:
        return
    path = Path(path)
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


@contextmanager
def replace_folder(folder: Path | str, owned: Owned, what: str = "folder") -> Iterator[Path]:
    """Yield a new temporary folder beside `folder` to fill; when the block ends without error
    it takes the place of `folder` (an older owned `folder` is moved aside, then removed).
    On any error the temporary folder is removed and `folder` is left as it was."""
    folder = Path(folder)
    check_replaceable(folder, owned, folder=True, what=what)
    tmp = old = None
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".tmp", dir=folder.parent))
        tmp.chmod(0o755)  # mkdtemp makes it private; the outputs are ordinary data
        yield tmp
        if folder.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".old", dir=folder.parent))
            os.replace(folder, old)
            try:
                os.replace(tmp, folder)
            except BaseException:
                os.replace(old, folder)  # put the old folder back
                old = None
                raise
        else:
            os.replace(tmp, folder)
        tmp = None
    except OSError as exc:
        raise ZoomaiError(os_error_text(exc)) from None
    finally:
        _remove(tmp)
        _remove(old)
