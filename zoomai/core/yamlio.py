"""Read YAML files into pydantic models, reporting problems by line and field path."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from zoomai.core.errors import DataError, Problem

M = TypeVar("M", bound=BaseModel)
Location = tuple[str | int, ...]


def _lines(node: yaml.Node, path: Location, out: dict[Location, int]) -> None:
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            k = key.value
            _lines(value, path + (k,), out)
            out[path + (k,)] = key.start_mark.line + 1  # a field's line is its key's
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _lines(item, path + (i,), out)


def read_yaml(path: Path) -> tuple[Any, dict[Location, int]]:
    """Parse a YAML file; return the data and a map from field path to line number."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(path, [Problem(None, None, "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(path, [Problem(None, None, f"cannot read the file: {exc}")]) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise DataError(path, [Problem(line, None, f"not valid YAML: {problem}")]) from None
    lines: dict[Location, int] = {}
    if node is not None:
        _lines(node, (), lines)
    return data, lines


def line_of(lines: dict[Location, int], loc: Location) -> int | None:
    """The line of the deepest known prefix of loc (pydantic may add type tags to a loc)."""
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def field_name(loc: Location) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def problems_from(exc: ValidationError, lines: dict[Location, int]) -> list[Problem]:
    """Translate a pydantic ValidationError into Problems with YAML line numbers.

    Parts of an error's location that are not in the file (pydantic's union tags such as
    'int' or 'list[str]') are dropped, except the name of a missing field.
    """
    problems = []
    for err in exc.errors(include_url=False):
        loc: Location = ()
        for part in err["loc"]:
            if loc + (part,) in lines:
                loc += (part,)
        if err["type"] == "missing":
            loc += (err["loc"][-1],)
            msg = "required field is missing"
        elif err["type"] == "extra_forbidden":
            msg = "unknown field (not expected here)"
        else:
            msg = err["msg"].removeprefix("Value error, ")
            if "input" in err and not isinstance(err["input"], dict | list):
                msg = f"{msg}, got {err['input']!r}"
        problems.append(Problem(line_of(lines, loc), field_name(loc) or None, msg))
    return problems


def load_model(path: Path, model: type[M]) -> M:
    """Read a YAML file and validate it as `model`; raise DataError with line numbers."""
    data, lines = read_yaml(path)
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        raise DataError(path, problems_from(exc, lines)) from None
