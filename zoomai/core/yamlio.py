"""Read YAML and JSON files safely, and YAML into pydantic models with line numbers.

Both readers bound what a file can cost: size (MAX_YAML_BYTES, MAX_JSON_BYTES), nesting
(MAX_DEPTH) and, for YAML, aliases (refused: none of zoomai's formats needs them, and they are
how a few hundred bytes expand to gigabytes, or refer to themselves). A key given twice in one
mapping is an error naming both lines, never "the last one wins".
"""

from __future__ import annotations

import json
from json import decoder as json_decoder
from json import scanner as json_scanner
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from zoomai.core.atomic import os_error_text
from zoomai.core.errors import DataError, Problem

M = TypeVar("M", bound=BaseModel)
Location = tuple[str | int, ...]

# Limits. Without aliases a document of n bytes makes O(n) nodes, so the size bounds time and
# memory. PyYAML composes in pure Python (the line map needs its nodes) at about 0.1 MB/s on a
# busy CI core: 256 KiB (nine times the largest bundled file, profiles.yaml, 28 kB) parse in
# under 3 s and 60 MB. JSON goes through the C decoder: 64 MiB, far above a merged GET /users
# export of 50,000 users, parse in about 4 s and 500 MB.
MAX_YAML_BYTES = 256 * 1024
MAX_JSON_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 64  # nesting levels; Zoom settings responses use 4, zoomai's YAML files 6


def _read_bytes(path: Path, limit: int) -> bytes:
    """The file's bytes; DataError if it is missing, unreadable or larger than `limit`."""
    try:
        with Path(path).open("rb") as handle:
            data = handle.read(limit + 1)
    except FileNotFoundError:
        raise DataError(path, [Problem(None, None, "file not found")]) from None
    except IsADirectoryError:
        raise DataError(path, [Problem(None, None, "is a folder; expected a file")]) from None
    except OSError as exc:
        raise DataError(path, [Problem(None, None, f"cannot read the file: {os_error_text(exc)}")]) from None
    if len(data) > limit:
        raise DataError(path, [Problem(None, None, f"larger than {limit // 1024} KiB; refusing to read it")])
    return data


def _text(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(path, [Problem(None, None, f"not UTF-8 text (byte {exc.start})")]) from None


# ----------------------------------------------------------------------------------- YAML


class _LimitedLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases and nesting deeper than MAX_DEPTH while composing."""

    depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.MarkedYAMLError(
                problem="aliases (*name) are not supported; write the value out in full", problem_mark=mark
            )
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise yaml.MarkedYAMLError(
                problem=f"nested more than {MAX_DEPTH} levels deep", problem_mark=self.peek_event().start_mark
            )
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _lines(node: yaml.Node, path: Location, out: dict[Location, int], dups: list[Problem]) -> None:
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        first: dict[Any, int] = {}
        for key, value in node.value:
            k = key.value if isinstance(key, yaml.ScalarNode) else f"({key.tag})"  # constructing refuses it
            line = key.start_mark.line + 1
            if isinstance(k, str) and k in first:
                shown = field_name((*path, k))
                dups.append(
                    Problem(
                        line, shown, f"duplicate key {k!r}: first on line {first[k]}, again on line {line}"
                    )
                )
                continue
            first[k] = line
            _lines(value, path + (k,), out, dups)
            out[path + (k,)] = line  # a field's line is its key's
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _lines(item, path + (i,), out, dups)


def read_yaml(path: Path) -> tuple[Any, dict[Location, int]]:
    """Parse a YAML file (bounded, see the module docstring); return the data and a map from
    field path to line number. DataError on anything invalid, with its line."""
    text = _text(path, _read_bytes(path, MAX_YAML_BYTES))
    loader = None
    try:
        loader = _LimitedLoader(text)  # its reader refuses control characters here already
        node = loader.get_single_node()
        lines: dict[Location, int] = {}
        dups: list[Problem] = []
        if node is not None:
            _lines(node, (), lines, dups)
        if dups:
            raise DataError(path, dups)
        data = loader.construct_document(node) if node is not None else None
    except yaml.reader.ReaderError as exc:  # a control character, before any parsing
        line = text.count("\n", 0, exc.position) + 1
        message = f"not valid YAML: control character {chr(exc.character)!r} is not allowed"
        raise DataError(path, [Problem(line, None, message)]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise DataError(path, [Problem(line, None, f"not valid YAML: {problem}")]) from None
    finally:
        if loader is not None:
            loader.dispose()
    return data, lines


# ----------------------------------------------------------------------------------- JSON


class _JSONLimit(ValueError):
    def __init__(self, pos: int, field: str | None, message: str):
        super().__init__(message)
        self.pos, self.field, self.message = pos, field, message


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


class _ExplainingDecoder(json.JSONDecoder):
    """The pure-Python JSON scanner with a depth limit and duplicate keys refused, keeping the
    positions of both keys; used only to explain what the fast decoder found wrong."""

    def __init__(self) -> None:
        super().__init__(object_pairs_hook=list, parse_constant=_no_constant)
        self.depth = 0
        self.parse_object = self._object
        self.parse_array = self._array
        self.scan_once = json_scanner.py_make_scanner(self)

    def _enter(self, pos: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _JSONLimit(pos, None, f"nested more than {MAX_DEPTH} levels deep")

    def _array(self, s_and_end: tuple[str, int], scan_once: Any) -> tuple[list, int]:
        self._enter(s_and_end[1] - 1)
        try:
            return json_decoder.JSONArray(s_and_end, scan_once)
        finally:
            self.depth -= 1

    def _object(
        self, s_and_end: tuple[str, int], strict: bool, scan_once: Any, *hooks: Any
    ) -> tuple[dict, int]:
        s, start = s_and_end
        self._enter(start - 1)
        try:
            pairs, end = json_decoder.JSONObject(s_and_end, strict, scan_once, *hooks)
        finally:
            self.depth -= 1
        keys = [k for k, _ in pairs]
        if len(set(keys)) != len(keys):
            first: dict[str, int] = {}
            for key, pos in self._key_positions(s, start):
                if key in first:
                    raise _JSONLimit(
                        pos,
                        key,
                        f"duplicate key {key!r}: first on line {_line(s, first[key])}, "
                        f"again on line {_line(s, pos)}",
                    )
                first[key] = pos
        return dict(pairs), end

    def _key_positions(self, s: str, pos: int) -> list[tuple[str, int]]:
        """(key, position) of each key of the object whose '{' is just before `pos`."""
        ws = json_decoder.WHITESPACE.match
        out = []
        pos = ws(s, pos).end()
        while s[pos] == '"':
            key, after = json_decoder.scanstring(s, pos + 1)
            out.append((key, pos))
            pos = ws(s, ws(s, after).end() + 1).end()  # past ':'
            _, pos = self.scan_once(s, pos)
            pos = ws(s, pos).end()
            if s[pos] != ",":
                break
            pos = ws(s, pos + 1).end()
        return out


def _line(s: str, pos: int) -> int:
    return s.count("\n", 0, pos) + 1


def _depth(value: Any) -> int:
    """Nesting depth of parsed JSON, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            stack += [(v, depth + 1) for v in (item.values() if isinstance(item, dict) else item)]
    return deepest


def read_json(path: Path) -> Any:
    """Parse a JSON file (bounded, see the module docstring); DataError with the line on
    invalid JSON, nesting deeper than MAX_DEPTH or a duplicate key."""
    text = _text(path, _read_bytes(path, MAX_JSON_BYTES))
    duplicate = False

    def pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal duplicate
        out = dict(pairs)
        duplicate = duplicate or len(out) != len(pairs)
        return out

    try:  # the fast C decoder; the explaining one only when something is wrong
        data = json.loads(text, object_pairs_hook=pairs_hook, parse_constant=_no_constant)
        if not duplicate and _depth(data) <= MAX_DEPTH:
            return data
    except json.JSONDecodeError as exc:
        raise DataError(
            path, [Problem(exc.lineno, None, f"not valid JSON: {exc.msg} (column {exc.colno})")]
        ) from None
    except (RecursionError, ValueError):
        pass
    try:
        _ExplainingDecoder().decode(text)
    except _JSONLimit as exc:
        raise DataError(path, [Problem(_line(text, exc.pos), exc.field, exc.message)]) from None
    except json.JSONDecodeError as exc:
        raise DataError(
            path, [Problem(exc.lineno, None, f"not valid JSON: {exc.msg} (column {exc.colno})")]
        ) from None
    except ValueError as exc:
        raise DataError(path, [Problem(None, None, f"not valid JSON: {exc}")]) from None
    raise AssertionError("the explaining decoder accepted what the fast one refused")  # pragma: no cover


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
