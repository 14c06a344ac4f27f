"""User-facing errors: one readable message naming the file, line and field at fault."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

MAX_LISTED = 20


class ZoomaiError(Exception):
    """An error caused by the user's input; the CLI prints it without a traceback, exit 2."""


class ZoomaiWarning(UserWarning):
    """Something in the input was skipped or may be wrong; the CLI prints it as one line."""


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input file: where (line, field) and what was expected."""

    line: int | None
    field: str | None
    message: str

    def where(self, field_word: str = "field") -> str:
        parts = []
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.field:
            parts.append(f"{field_word} {self.field}")
        return ", ".join(parts)


def display(path: Path | str) -> str:
    """A path as shown in messages: relative to the working folder where it lies inside it.
    Never raises (a symlink loop or a vanished working folder shows the path as given)."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except (ValueError, OSError, RuntimeError):  # outside; gone; RuntimeError: a symlink loop
        return str(path)


class DataError(ZoomaiError):
    """Invalid content in an input file; lists every problem found (up to MAX_LISTED)."""

    def __init__(self, path: Path | str, problems: list[Problem]):
        self.path = Path(path)
        self.problems = sorted(set(problems), key=lambda p: (p.line or 0, p.field or "", p.message))
        name = display(path)
        word = "column" if self.path.suffix.lower() == ".csv" else "field"
        if len(self.problems) == 1:
            p = self.problems[0]
            where = p.where(word)
            text = f"{name}{', ' + where if where else ''}: {p.message}"
        else:
            lines = [f"{name}: {len(self.problems)} problems"]
            for p in self.problems[:MAX_LISTED]:
                where = p.where(word)
                lines.append(f"  {where + ': ' if where else ''}{p.message}")
            if len(self.problems) > MAX_LISTED:
                lines.append(f"  ... and {len(self.problems) - MAX_LISTED} more")
            text = "\n".join(lines)
        super().__init__(text)
