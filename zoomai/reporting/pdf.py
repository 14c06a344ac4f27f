"""PDF copies of the HTML reports, printed by Debian's headless chromium (offline).

Chromium prints the page as a browser shows it, with the reports' print stylesheet (see
export.PRINT_CSS): plotly's charts are SVG and print as vectors. Each print gets its own
throw-away profile folder, so parallel workers never share one, and every network request
but file:// is refused.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from zoomai.core.errors import ZoomaiError

CHROMIUM_NAMES = ("chromium", "chromium-browser")
PRINT_TIMEOUT = 120  # seconds for one page
# Time chromium lets the page's scripts (plotly drawing its charts) run before printing.
VIRTUAL_TIME_MS = 10_000
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--proxy-server=127.0.0.1:9",  # nothing leaves the machine (file:// is not proxied)
    "--no-pdf-header-footer",
    f"--virtual-time-budget={VIRTUAL_TIME_MS}",
)


def find_chromium() -> str:
    """The chromium executable; a ZoomaiError saying how to install it when there is none."""
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    raise ZoomaiError(
        "--pdf needs Debian's chromium, which is not installed: run `make run PDF=1` (installs it), "
        "or `sudo apt-get install chromium`"
    )


def print_pdf(html: Path, target: Path, chromium: str) -> Path:
    """Print `html` to `target` (written whole or not at all); raise RuntimeError naming the
    page when chromium fails."""
    tmp = target.with_name(f".{target.name}.tmp")
    with tempfile.TemporaryDirectory(prefix="zoomai-chromium-") as profile:
        command = [
            chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            f"--print-to-pdf={tmp}",
            html.resolve().as_uri(),
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=PRINT_TIMEOUT)
        except subprocess.TimeoutExpired:
            tmp.unlink(missing_ok=True)
            raise RuntimeError(f"chromium did not print {html.name} within {PRINT_TIMEOUT} s") from None
    if done.returncode != 0 or not tmp.is_file() or tmp.stat().st_size == 0:
        tmp.unlink(missing_ok=True)
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"chromium could not print {html.name} (exit {done.returncode}): {last}")
    tmp.replace(target)
    return target
