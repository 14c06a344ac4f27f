"""Scheduled reports: run the notebooks with papermill, one run per (notebook, tenant,
configuration), export each executed notebook as offline HTML, and index them.

    zoomai report                                  # the bundled schedule, schedules/default.yaml
    zoomai report --notebooks retention --tenants eu_company_zmo --config default,zmo

A schedule is a YAML file (see `Schedule`): jobs naming notebooks, tenants, configurations and
extra parameters. Every parameter of every run is validated before any kernel starts. Runs are
executed in parallel worker processes; each worker keeps one Python kernel and resets its
namespace between runs (`--fresh-kernels` starts one kernel per run instead). Everything is
written to `reports/.<run-id>.partial` and renamed to `reports/<run-id>` at the end, so an
interrupted run never leaves half a report; `reports/latest` points at the newest run that
fully succeeded.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, ValidationError, field_validator

from zoomai.core.errors import DataError, Problem, ZoomaiError
from zoomai.core.paths import REPO_ROOT
from zoomai.core.yamlio import Location, line_of, problems_from, read_yaml

NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
DEFAULT_SCHEDULE = REPO_ROOT / "schedules" / "default.yaml"
KERNEL = "python3"
ALL = "all"
NO_TENANT = "_all"  # folder of the runs of notebooks that take no tenant
DEFAULT_CELL_TIMEOUT = 600
START_TIMEOUT = 120
CHART_MIME = "application/vnd.plotly.v1+json"
KERNEL_ARGS = ["--IPKernelApp.log_level=ERROR"]  # no TCP-encryption warning per kernel on stderr

# The parameters the pipeline itself fills (the notebooks' contract), with their types.
TENANT, CONFIGURATION, CONFIGURATIONS, REGION, SUMMARY, RUN_ID, FACTS = (
    "tenant",
    "configuration",
    "configurations",
    "region",
    "summary_path",
    "run_id",
    "facts",  # the fact set (v5.0 or current): a job's `parameters: {facts: ...}` or --facts
)
CONTRACT_TYPES: dict[str, str] = {
    TENANT: "str",
    CONFIGURATION: "str",
    CONFIGURATIONS: "list[str]",
    REGION: "str",
    SUMMARY: "str",
    RUN_ID: "str",
    FACTS: "str",
}
RESERVED = {
    TENANT: "set it with the job's `tenants`",
    CONFIGURATION: "set it with the job's `configurations`",
    CONFIGURATIONS: "set it with the job's `configurations`",
    SUMMARY: "the pipeline sets it",
    RUN_ID: "the pipeline sets it",
}
NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


# ---------------------------------------------------------------------------- schedule file


def _names_or_all(value: object) -> object:
    if value == ALL or (isinstance(value, list) and value and all(isinstance(v, str) and v for v in value)):
        return value
    raise ValueError(f'expected "{ALL}" or a non-empty list of names')


class Job(BaseModel):
    """One job: every notebook x tenant x configuration it names (as far as each notebook
    declares `tenant` / `configuration`), with extra parameters for the notebooks that declare them."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=NAME, description="Job name, used in messages.")
    notebooks: list[str] | Literal["all"] = Field(
        description='Notebook names (files of notebooks/ without .ipynb), .ipynb paths, or "all".'
    )
    tenants: list[str] | Literal["all"] | None = Field(
        default=None,
        description='Bundled tenant ids or tenant folders, or "all" (the bundled tenants); '
        "omitted: the notebooks' default tenant.",
    )
    configurations: list[str] | None = Field(
        default=None,
        description="Preset names (data/configurations.yaml) or configuration YAML files; "
        "omitted: the notebooks' defaults.",
        min_length=1,
    )
    parameters: dict[str, Any] = Field(
        default_factory=dict, description="Extra parameters, passed to the notebooks that declare them."
    )

    @field_validator("notebooks", "tenants", mode="before")
    @classmethod
    def names_or_all(cls, value: object) -> object:
        return value if value is None else _names_or_all(value)

    @field_validator("configurations", mode="before")
    @classmethod
    def names(cls, value: object) -> object:
        if value is None or (isinstance(value, list) and all(isinstance(v, str) and v for v in value)):
            return value
        raise ValueError("expected a list of configuration names or YAML files")


class Schedule(BaseModel):
    """A schedule file: `jobs`, and optionally `workers` and `cell_timeout_seconds`."""

    model_config = ConfigDict(extra="forbid")
    workers: PositiveInt | None = Field(default=None, description="Parallel runs (default min(4, CPUs)).")
    cell_timeout_seconds: PositiveInt = Field(
        default=DEFAULT_CELL_TIMEOUT, description="Longest a notebook cell may run."
    )
    jobs: list[Job] = Field(min_length=1)

    def with_facts(self, facts: str) -> Schedule:
        """The schedule with every job's `facts` parameter set (`zoomai report --facts`)."""
        jobs = [j.model_copy(update={"parameters": {**j.parameters, FACTS: facts}}) for j in self.jobs]
        return self.model_copy(update={"jobs": jobs})


@dataclass
class ScheduleSource:
    """Where a schedule came from, to name fields in error messages: a YAML file (with line
    numbers) or the command line (flags)."""

    path: Path | None = None
    lines: dict[Location, int] = field(default_factory=dict)
    flags: dict[str, str] = field(default_factory=dict)  # job field -> command-line flag

    @property
    def base(self) -> Path:
        """Relative paths in a schedule file are relative to its folder; on the command line,
        to the current folder."""
        return self.path.resolve().parent if self.path else Path.cwd()

    def problem(self, job: int, name: str, loc: tuple[str | int, ...], message: str) -> Problem:
        """A problem of job number `job` (called `name`) at `loc` within the job."""
        if self.path is None:
            flag = self.flags.get(str(loc[0]), str(loc[0])) if loc else None
            return Problem(None, flag, message)
        full: Location = ("jobs", job, *loc)
        return Problem(line_of(self.lines, full), _field(full), f"job {name!r}: {message}")

    def error(self, problems: list[Problem]) -> ZoomaiError:
        if self.path is not None:
            return DataError(self.path, problems)
        return ZoomaiError("; ".join(f"{p.field}: {p.message}" if p.field else p.message for p in problems))


def _field(loc: Location) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def load_schedule(path: Path | str) -> tuple[Schedule, ScheduleSource]:
    """Read and validate a schedule file (shape only; `plan` checks names and parameters)."""
    path = Path(path)
    data, lines = read_yaml(path)
    if not isinstance(data, dict):
        raise DataError(path, [Problem(1, None, "expected a mapping with a `jobs` list")])
    try:
        schedule = Schedule.model_validate(data)
    except ValidationError as exc:
        raise DataError(path, problems_from(exc, lines)) from None
    source = ScheduleSource(path=path, lines=lines)
    seen: dict[str, int] = {}
    problems = []
    for i, job in enumerate(schedule.jobs):
        if job.name in seen:
            problems.append(source.problem(i, job.name, ("name",), "the job name is used twice"))
        seen[job.name] = i
    if problems:
        raise source.error(problems)
    return schedule, source


def adhoc_schedule(
    notebooks: list[str] | None,
    tenants: list[str] | None,
    configurations: list[str] | None,
    base: Schedule | None = None,
) -> tuple[Schedule, ScheduleSource]:
    """One job from the command-line flags (all notebooks, all bundled tenants unless given)."""

    def one(values: list[str] | None) -> list[str] | str:
        return ALL if not values or values == [ALL] else values

    job = Job(
        name="command-line", notebooks=one(notebooks), tenants=one(tenants), configurations=configurations
    )
    schedule = Schedule(
        workers=base.workers if base else None,
        cell_timeout_seconds=base.cell_timeout_seconds if base else DEFAULT_CELL_TIMEOUT,
        jobs=[job],
    )
    flags = {"notebooks": "--notebooks", "tenants": "--tenants", "configurations": "--config"}
    return schedule, ScheduleSource(flags=flags)


# --------------------------------------------------------------------------------- notebooks


@dataclass(frozen=True)
class Param:
    """A declared notebook parameter: its type (from the contract, the annotation or the
    default's value) and default."""

    name: str
    type: str | None  # "str", "int", "float", "bool", "list", "list[str]", "dict"; None: any
    default: Any  # the default's value, or NOT_LITERAL when it is an expression
    default_text: str


NOT_LITERAL = object()


@dataclass(frozen=True)
class NotebookInfo:
    name: str
    path: Path
    params: dict[str, Param]


def list_notebooks(folder: Path = NOTEBOOKS_DIR) -> dict[str, Path]:
    """The notebooks of a folder by name (file name without .ipynb)."""
    if not folder.is_dir():
        return {}
    return {p.stem: p for p in sorted(folder.glob("*.ipynb")) if not p.name.startswith(".")}


def _type_of(value: Any) -> str | None:
    if isinstance(value, bool):
        return "bool"
    for kind in (int, float, str, dict):
        if isinstance(value, kind):
            return kind.__name__
    if isinstance(value, list):
        kinds = {_type_of(v) for v in value}
        return f"list[{kinds.pop()}]" if len(kinds) == 1 and None not in kinds else "list"
    return None


def notebook_parameters(path: Path) -> NotebookInfo:
    """The parameters a notebook declares in its `parameters` cell (papermill's inspection)."""
    import papermill as pm

    try:
        raw = pm.inspect_notebook(str(path))
    except ValueError as exc:  # no language in the metadata
        raise ZoomaiError(f"{path}: cannot read the notebook's parameters: {exc}") from None
    except Exception as exc:  # nbformat/json errors of a broken file
        raise ZoomaiError(f"{path}: not a readable notebook: {exc}") from None
    params = {}
    for name, p in raw.items():
        try:
            default = ast.literal_eval(p["default"])
        except (ValueError, SyntaxError):
            default = NOT_LITERAL
        annotated = p.get("inferred_type_name")
        kind = CONTRACT_TYPES.get(name)
        if kind is None and annotated and annotated != "None":
            kind = annotated.replace(" ", "").replace("List", "list").replace("Dict", "dict")
        if kind is None and default is not NOT_LITERAL:
            kind = _type_of(default)
        params[name] = Param(name, kind, default, p["default"])
    return NotebookInfo(path.stem, path, params)


def notebook_title(path: Path) -> str:
    """The title a report shows for a notebook: the text of its first Markdown heading
    ('# AI Companion feature matrix'), else (also when the file cannot be read) its file name
    in words."""
    try:
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError, AttributeError):
        cells = []
    for cell in cells:
        source = cell.get("source", "") if cell.get("cell_type") == "markdown" else ""
        for line in ("".join(source) if isinstance(source, list) else str(source)).splitlines():
            if line.startswith("# ") and line[2:].strip():
                return line[2:].strip()
    words = path.stem.replace("_", " ")
    return words[:1].upper() + words[1:]


def fits(value: Any, kind: str | None) -> bool:
    if kind is None:
        return True
    if kind.startswith("list"):
        inner = kind[5:-1] if kind.startswith("list[") else None
        return isinstance(value, list) and all(fits(v, inner) for v in value)
    if kind in ("float",):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind.startswith("dict"):
        return isinstance(value, dict)
    checks = {"str": str, "bool": bool}
    return isinstance(value, checks[kind]) if kind in checks else True
