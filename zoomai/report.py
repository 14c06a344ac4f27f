"""Scheduled reports: run the notebooks with papermill, one run per (notebook, tenant,
configuration), export each executed notebook as offline HTML, and index them.

    zoomai report                                  # the bundled schedule, schedules/default.yaml
    zoomai report --notebooks retention --tenants eu_company_zmo --configurations default,zmo

A schedule is a YAML file (see `Schedule`): jobs naming notebooks, tenants, configurations and
extra parameters. Every parameter of every run is validated before any kernel starts. Runs are
executed in parallel worker processes; each worker keeps one Python kernel and resets its
namespace between runs (`--fresh-kernels` starts one kernel per run instead). Everything is
written to `reports/.<run-id>.partial` and renamed to `reports/<run-id>` at the end, so an
interrupted run never leaves half a report; `reports/latest` points at the newest run that
fully succeeded.
"""

from __future__ import annotations

import argparse
import ast
import concurrent.futures
import contextlib
import copy
import json
import multiprocessing
import multiprocessing.util
import os
import re
import secrets
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, ValidationError, field_validator

from zoomai.configurations import get_configuration
from zoomai.errors import DataError, Problem, ZoomaiError
from zoomai.paths import REPO_ROOT
from zoomai.tenants import resolve_tenant_path, tenants_dir
from zoomai.yamlio import Location, line_of, problems_from, read_yaml

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
TENANT, CONFIGURATION, CONFIGURATIONS, REGION, SUMMARY = (
    "tenant",
    "configuration",
    "configurations",
    "region",
    "summary_path",
)
CONTRACT_TYPES: dict[str, str] = {
    TENANT: "str",
    CONFIGURATION: "str",
    CONFIGURATIONS: "list[str]",
    REGION: "str",
    SUMMARY: "str",
}
RESERVED = {
    TENANT: "set it with the job's `tenants`",
    CONFIGURATION: "set it with the job's `configurations`",
    CONFIGURATIONS: "set it with the job's `configurations`",
    SUMMARY: "the pipeline sets it",
}
_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


# ---------------------------------------------------------------------------- schedule file


def _names_or_all(value: object) -> object:
    if value == ALL or (isinstance(value, list) and value and all(isinstance(v, str) and v for v in value)):
        return value
    raise ValueError(f'expected "{ALL}" or a non-empty list of names')


class Job(BaseModel):
    """One job: every notebook x tenant x configuration it names (as far as each notebook
    declares `tenant` / `configuration`), with extra parameters for the notebooks that declare them."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=_NAME, description="Job name, used in messages.")
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
    flags = {"notebooks": "--notebooks", "tenants": "--tenants", "configurations": "--configurations"}
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


def _fits(value: Any, kind: str | None) -> bool:
    if kind is None:
        return True
    if kind.startswith("list"):
        inner = kind[5:-1] if kind.startswith("list[") else None
        return isinstance(value, list) and all(_fits(v, inner) for v in value)
    if kind in ("float",):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind.startswith("dict"):
        return isinstance(value, dict)
    checks = {"str": str, "bool": bool}
    return isinstance(value, checks[kind]) if kind in checks else True


# ----------------------------------------------------------------------------------- runs


@dataclass(frozen=True)
class Run:
    """One execution of one notebook: the parameters passed, and where its files go
    (`output` is the path of its files in the report folder without suffix)."""

    notebook: str
    source: Path
    job: str
    tenant: str | None  # label (bundled id or folder name); None when the notebook takes none
    configuration: str | None  # label (preset name or file stem)
    parameters: dict[str, Any]
    output: str
    writes_summary: bool


def _label(value: str) -> str:
    name = Path(value).name if ("/" in value or value.endswith((".yaml", ".yml"))) else value
    name = re.sub(r"\.ya?ml$", "", name)
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name).strip(".") or "_"


def _bundled_tenants() -> list[str]:
    root = tenants_dir()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def _tenant_value(spec: str, base: Path) -> str:
    """A bundled tenant id stays an id; a folder becomes an absolute path (kernels run
    elsewhere). Raises ZoomaiError (resolve_tenant_path's message) when it is neither."""
    if "/" not in spec and (tenants_dir() / spec).is_dir():
        return spec
    path = Path(spec).expanduser()
    path = path if path.is_absolute() else base / path
    if path.is_dir():
        return str(path.resolve())
    return str(resolve_tenant_path(spec).resolve())  # raises, listing the bundled tenants


def _configuration_value(spec: str, base: Path) -> str:
    """A preset name stays a name; a YAML file becomes an absolute path. Raises ZoomaiError."""
    from zoomai.configurations import load_configurations

    if spec in load_configurations():
        return spec
    path = Path(spec).expanduser()
    path = path if path.is_absolute() else base / path
    if path.suffix in (".yaml", ".yml") and path.exists():
        get_configuration(str(path))
        return str(path.resolve())
    get_configuration(spec)  # raises: unknown configuration, with the presets
    return spec


def _message(exc: ZoomaiError) -> str:
    return str(exc).replace("\n", " ")


def plan(schedule: Schedule, source: ScheduleSource, notebooks_dir: Path = NOTEBOOKS_DIR) -> list[Run]:
    """Expand a schedule into runs and validate every parameter of every run; raise one
    ZoomaiError listing every problem (no run starts when anything is wrong)."""
    available = list_notebooks(notebooks_dir)
    problems: list[Problem] = []
    infos: dict[Path, NotebookInfo] = {}
    runs: list[Run] = []
    seen: set[tuple[str, str]] = set()

    def info_for(path: Path) -> NotebookInfo:
        if path not in infos:
            infos[path] = notebook_parameters(path)
        return infos[path]

    for j, job in enumerate(schedule.jobs):
        start = len(problems)

        def bad(loc: tuple[str | int, ...], message: str, j: int = j, job: Job = job) -> None:
            problems.append(source.problem(j, job.name, loc, message))

        def resolved(field: str, specs: list[str], resolve, bad=bad) -> list[str]:
            """Each spec resolved (tenant or configuration); a bad one is reported by index."""
            out = []
            for i, spec in enumerate(specs):
                try:
                    out.append(resolve(spec, source.base))
                except ZoomaiError as exc:
                    bad((field, i), _message(exc))
            return out

        # notebooks
        notebooks: list[NotebookInfo] = []
        names = list(available) if job.notebooks == ALL else job.notebooks
        if job.notebooks == ALL and not names:
            bad(("notebooks",), f"no notebooks in {notebooks_dir}")
        for i, name in enumerate(names):
            loc = ("notebooks",) if job.notebooks == ALL else ("notebooks", i)
            if name in available:
                path = available[name]
            elif name.endswith(".ipynb"):
                path = Path(name).expanduser()
                path = path if path.is_absolute() else source.base / path
                if not path.is_file():
                    bad(loc, f"notebook file {name!r} not found")
                    continue
            else:
                known = ", ".join(available) or "(none)"
                bad(loc, f"unknown notebook {name!r}; expected one of {known} or an .ipynb file")
                continue
            try:
                notebooks.append(info_for(path.resolve()))
            except ZoomaiError as exc:
                bad(loc, _message(exc))

        # tenants
        tenants: list[str] | None = None
        if job.tenants == ALL:
            tenants = _bundled_tenants()
            if not tenants:
                bad(("tenants",), f"no bundled tenants in {tenants_dir()}")
        elif job.tenants is not None:
            tenants = resolved("tenants", job.tenants, _tenant_value)

        # configurations
        configurations: list[str] | None = None
        if job.configurations is not None:
            configurations = resolved("configurations", job.configurations, _configuration_value)

        # extra parameters
        extra: dict[str, Any] = {}
        for name, value in job.parameters.items():
            loc = ("parameters", name)
            if name in RESERVED:
                bad(loc, f"parameter {name!r} cannot be given here; {RESERVED[name]}")
                continue
            declaring = [nb for nb in notebooks if name in nb.params]
            if notebooks and not declaring:
                declared = sorted({p for nb in notebooks for p in nb.params} - set(RESERVED))
                bad(
                    loc,
                    f"unknown parameter {name!r}: no notebook of the job declares it; "
                    f"declared: {', '.join(declared) or '(none)'}",
                )
                continue
            if name == REGION and isinstance(value, str):
                if not (len(value) == 2 and value.isalpha()):
                    bad(loc, f"expected a two-letter hosting region such as US or EU, got {value!r}")
                    continue
                value = value.upper()
            for nb in declaring:
                param = nb.params[name]
                if not _fits(value, param.type):
                    bad(
                        loc,
                        f"notebook {nb.name} expects {param.type} (default {param.default_text}), "
                        f"got {value!r}",
                    )
                    break
            else:
                try:
                    json.dumps(value)
                except TypeError:
                    bad(loc, f"expected a plain value (text, number, true/false, list), got {value!r}")
                    continue
                extra[name] = value

        if len(problems) > start:
            continue
        for nb in notebooks:
            runs += _expand(nb, job, tenants, configurations, extra, seen)

    if problems:
        raise source.error(problems)
    return _name_outputs(runs)


def _expand(
    nb: NotebookInfo,
    job: Job,
    tenants: list[str] | None,
    configurations: list[str] | None,
    extra: dict[str, Any],
    seen: set[tuple[str, str]],
) -> list[Run]:
    declared = nb.params
    common = {k: v for k, v in extra.items() if k in declared}
    if CONFIGURATIONS in declared and configurations is not None:
        common[CONFIGURATIONS] = list(configurations)
    tenant_values: list[str | None] = list(tenants) if TENANT in declared and tenants is not None else [None]
    config_values: list[str | None] = (
        list(configurations) if CONFIGURATION in declared and configurations is not None else [None]
    )

    def effective(name: str, passed: str | None) -> str | None:
        """The value the run uses: the one passed, else the notebook's default (if text)."""
        if passed is not None:
            return passed
        param = declared.get(name)
        return param.default if param and isinstance(param.default, str) else None

    out = []
    for tenant in tenant_values:
        for config in config_values:
            params = dict(common)
            if tenant is not None:
                params[TENANT] = tenant
            if config is not None:
                params[CONFIGURATION] = config
            key = (str(nb.path), json.dumps(params, sort_keys=True))
            if key in seen:
                continue
            seen.add(key)
            t, c = effective(TENANT, tenant), effective(CONFIGURATION, config)
            out.append(
                Run(
                    notebook=nb.name,
                    source=nb.path,
                    job=job.name,
                    tenant=_label(t) if t else None,
                    configuration=_label(c) if c else None,
                    parameters=params,
                    output="",
                    writes_summary=SUMMARY in declared,
                )
            )
    return out


def _name_outputs(runs: list[Run]) -> list[Run]:
    """`<tenant or _all>/<notebook>[__<configuration>]`, with __2, __3 ... where two runs
    would otherwise share a name (e.g. the same notebook with other extra parameters)."""
    used: set[str] = set()
    out = []
    for run in runs:
        base = f"{run.tenant or NO_TENANT}/{run.notebook}"
        if run.configuration:
            base += f"__{run.configuration}"
        name, n = base, 1
        while name in used:
            n += 1
            name = f"{base}__{n}"
        used.add(name)
        out.append(Run(**{**asdict(run), "output": name}))
    return out


# ------------------------------------------------------------------------------ execution


@dataclass(frozen=True)
class Task:
    """What a worker process needs for one run (picklable)."""

    run: Run
    root: str  # the report folder being written
    cell_timeout: int
    fresh_kernel: bool


_WORKER: dict[str, Any] = {}  # per worker process: the kernel manager, exporter, plotly.js


def _engine() -> str:
    """Register (once per process) a papermill engine that runs in a kernel manager owned by
    the caller and closes its client's channels after each run."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.log import logger

    name = "zoomai"
    if name not in papermill_engines._engines:

        class ReusedKernelEngine(NBClientEngine):
            @classmethod
            def execute_managed_notebook(
                cls,
                nb_man,
                kernel_name,
                log_output=False,
                stdout_file=None,
                stderr_file=None,
                start_timeout=60,
                execution_timeout=None,
                **kwargs,
            ):
                kwargs.pop("input_path", None)
                client = PapermillNotebookClient(
                    nb_man,
                    timeout=execution_timeout,
                    startup_timeout=start_timeout,
                    kernel_name=kernel_name,
                    log=logger,
                    log_output=log_output,
                    stdout_file=stdout_file,
                    stderr_file=stderr_file,
                    **kwargs,
                )
                try:
                    return client.execute()
                finally:
                    if client.kc is not None:
                        client.kc.stop_channels()

        papermill_engines.register(name, ReusedKernelEngine)
    return name


def _kernel_manager(cwd: Path):
    """This worker's kernel: started on first use, shut down when the worker exits."""
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    km = _WORKER.get("km")
    if km is None:
        km = AsyncKernelManager(kernel_name=KERNEL)
        # as nbclient starts its kernels: no IPython history file shared by parallel kernels
        args = [*KERNEL_ARGS, "--HistoryManager.hist_file=:memory:"]
        run_sync(km.start_kernel)(extra_arguments=args, cwd=str(cwd))
        _WORKER["km"] = km
        _WORKER["fresh"] = True
        _WORKER["finalizer"] = multiprocessing.util.Finalize(None, _discard_kernel, exitpriority=10)
    return km


def _discard_kernel() -> None:
    from jupyter_core.utils import run_sync

    km = _WORKER.pop("km", None)
    if km is not None:
        with contextlib.suppress(Exception):  # already dead
            run_sync(km.shutdown_kernel)(now=True)


RESET_CODE = """\
get_ipython().reset(new_session=True)
import os as _zoomai_os
_zoomai_os.chdir({cwd!r})
del _zoomai_os
"""


def _reset_kernel(km, cwd: Path) -> None:
    """A clean namespace (modules stay imported) and the run's folder as working directory."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(RESET_CODE.format(cwd=str(cwd)))]
    client = NotebookClient(nb, km=km, kernel_name=KERNEL, timeout=60, allow_errors=False)
    try:
        client.execute()
    finally:
        if client.kc is not None:
            client.kc.stop_channels()


def _error_line(exc: BaseException) -> str:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        text = f"{exc.ename}: {exc.evalue}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[0] if lines else type(exc).__name__


def execute(task: Task) -> dict[str, Any]:
    """Run one notebook (in a worker process): executed .ipynb, .html and .json."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    run = task.run
    root = Path(task.root)
    ipynb = root / f"{run.output}.ipynb"
    folder = ipynb.parent
    folder.mkdir(parents=True, exist_ok=True)
    summary_file = folder / f".{ipynb.stem}.summary.json"
    params = dict(run.parameters)
    if run.writes_summary:
        params[SUMMARY] = summary_file.name  # relative to the kernel's working directory
    started = datetime.now(UTC)
    clock = time.perf_counter()
    error = None
    options: dict[str, Any] = dict(
        parameters=params,
        kernel_name=KERNEL,
        language="python",
        cwd=str(folder),
        execution_timeout=task.cell_timeout,
        start_timeout=START_TIMEOUT,
        progress_bar=False,
        log_output=False,
        extra_arguments=KERNEL_ARGS,
    )
    try:
        if task.fresh_kernel:
            pm.execute_notebook(str(run.source), str(ipynb), **options)
        else:
            km = _kernel_manager(folder)
            if not _WORKER.pop("fresh", False):
                try:
                    _reset_kernel(km, folder)
                except Exception:  # the kernel died since the last run: a new one
                    _discard_kernel()
                    km = _kernel_manager(folder)
                    _WORKER.pop("fresh", None)
            pm.execute_notebook(str(run.source), str(ipynb), engine_name=_engine(), km=km, **options)
    except PapermillExecutionError as exc:  # the notebook raised: the kernel is fine
        error = _error_line(exc)
    except Exception as exc:  # timeout, dead kernel, ...: start a new kernel next time
        error = _error_line(exc)
        if not task.fresh_kernel:
            _discard_kernel()
    duration = time.perf_counter() - clock

    summary = None
    if summary_file.exists():
        try:
            summary = json.loads(summary_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            error = error or f"the summary the notebook wrote is not valid JSON: {exc}"
        summary_file.unlink()
    elif run.writes_summary and error is None:
        error = f"the notebook did not write its summary ({SUMMARY})"

    files = {"ipynb": f"{run.output}.ipynb", "json": f"{run.output}.json"}
    if ipynb.exists():
        try:
            export_html(ipynb, root / f"{run.output}.html", title=_title(run))
            files["html"] = f"{run.output}.html"
        except Exception as exc:  # keep the executed notebook and say why
            error = error or f"HTML export failed: {_error_line(exc)}"
    else:
        del files["ipynb"]
    meta = {
        "notebook": run.notebook,
        "job": run.job,
        "tenant": run.tenant,
        "configuration": run.configuration,
        "parameters": run.parameters,
        "status": "failed" if error else "ok",
        "error": error,
        "started": started.isoformat(timespec="seconds"),
        "duration_seconds": round(duration, 3),
        "files": files,
        "summary": summary,
    }
    (root / files["json"]).write_text(json.dumps(meta, indent=2, default=str) + "\n", encoding="utf-8")
    return meta


def _title(run: Run) -> str:
    parts = [run.notebook.replace("_", " ")]
    if run.tenant:
        parts.append(run.tenant)
    if run.configuration:
        parts.append(run.configuration)
    return " - ".join(parts)


# ------------------------------------------------------------------------------- HTML export

HTML_TEMPLATE = """\
{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}
{%- if resources.plotly_js %}
<script type="text/javascript">{{ resources.plotly_js }}</script>
{%- endif -%}
{%- endblock html_head_js -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""
# Any script or stylesheet still fetched from the network (a template change upstream).
_NETWORK_TAGS = re.compile(
    r"<script\b[^>]*\bsrc\s*=\s*[\"']?https?://[^>]*>\s*</script>|<link\b[^>]*\bhref\s*=\s*[\"']?https?://[^>]*>",
    re.IGNORECASE,
)


@cache
def plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def _exporter():
    exporter = _WORKER.get("exporter")
    if exporter is None:
        from jinja2 import DictLoader
        from nbconvert import HTMLExporter

        exporter = HTMLExporter(
            template_name="lab",
            extra_loaders=[DictLoader({"zoomai_report.html.j2": HTML_TEMPLATE})],
            template_file="zoomai_report.html.j2",
            exclude_input=True,
            exclude_input_prompt=True,
            exclude_output_prompt=True,
        )
        _WORKER["exporter"] = exporter
    return exporter


def has_charts(nb) -> bool:
    return any(
        CHART_MIME in out.get("data", {})
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
    )


def export_html(ipynb: Path, target: Path, title: str | None = None) -> Path:
    """Offline HTML of an executed notebook: no input cells, plotly.js embedded once in <head>
    (only when the notebook has charts), charts from their text/html output, no network URLs."""
    import nbformat

    nb = nbformat.read(ipynb, as_version=4)
    charts = has_charts(nb)
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            out.get("data", {}).pop(CHART_MIME, None)  # rendered from text/html instead
    nb.metadata["title"] = title or ipynb.stem
    resources = {"metadata": {"name": title or ipynb.stem}, "plotly_js": plotly_js() if charts else ""}
    body, _ = _exporter().from_notebook_node(nb, resources=resources)
    body = _NETWORK_TAGS.sub("", body)
    target.write_text(body, encoding="utf-8")
    return target


# --------------------------------------------------------------------------------- the report


@dataclass
class Report:
    run_id: str
    folder: Path
    results: list[dict[str, Any]]
    started: datetime
    duration: float
    schedule: str = ""

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [r for r in self.results if r["status"] != "ok"]

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def index(self) -> Path:
        return self.folder / "index.html"


def new_run_id() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(2)}"


def check_run_id(out: Path, run_id: str) -> Path:
    """The run's folder; a ZoomaiError if the id is not a plain name or the folder exists."""
    if not re.match(_NAME, run_id):
        raise ZoomaiError(f"run id {run_id!r}: use letters, digits, '.', '_' and '-'")
    final = out / run_id
    if final.exists() or final.is_symlink():
        raise ZoomaiError(f"{final} already exists; choose another --run-id")
    return final


def default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def _pool_context():
    """fork where there is one: the workers inherit the warmed-up exporter (see _warm_up)."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def _warm_up() -> None:
    """Build the HTML exporter and compile its templates once, in the parent, before the
    workers fork (about 2 s of CPU that each worker would otherwise spend)."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("warm-up"), nbformat.v4.new_code_cell("1")]
    _exporter().from_notebook_node(nb, resources={"metadata": {"name": "warm-up"}, "plotly_js": ""})
    plotly_js()


def run_report(
    runs: list[Run],
    out: Path | str = "reports",
    workers: int | None = None,
    run_id: str | None = None,
    cell_timeout: int = DEFAULT_CELL_TIMEOUT,
    fresh_kernels: bool = False,
    progress: bool | None = None,
    schedule_name: str = "",
) -> Report:
    """Execute the runs into `out/<run-id>/` (via `out/.<run-id>.partial`), write index.html
    and summary.json, and point `out/latest` at it when every run succeeded."""
    from tqdm import tqdm

    out = Path(out)
    run_id = run_id or new_run_id()
    final = check_run_id(out, run_id)
    partial = out / f".{run_id}.partial"
    workers = max(1, workers or default_workers())
    started = datetime.now(UTC)
    clock = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    results: list[dict[str, Any]] = []
    try:
        tasks = [Task(run, str(partial.resolve()), cell_timeout, fresh_kernels) for run in runs]
        context = _pool_context()
        if context.get_start_method() == "fork":
            _warm_up()
        with concurrent.futures.ProcessPoolExecutor(
            max_workers=min(workers, max(1, len(tasks))), mp_context=context
        ) as pool:
            futures = {pool.submit(execute, task): task for task in tasks}
            disable = None if progress is None else not progress  # None: only on a terminal
            with tqdm(total=len(tasks), unit="run", disable=disable) as bar:
                for future in concurrent.futures.as_completed(futures):
                    try:
                        results.append(future.result())
                    except Exception as exc:  # a worker died: report, go on
                        results.append(_crashed(futures[future].run, partial, exc))
                    bar.update()
        order = {run.output: i for i, run in enumerate(runs)}
        results.sort(key=lambda r: order.get(_output_of(r), 0))
        report = Report(run_id, final, results, started, time.perf_counter() - clock, schedule_name)
        write_summary(report, partial, workers)
        write_index(report, partial)
        os.rename(partial, final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    if report.ok:
        _point_latest(out, run_id)
    return report


def _output_of(result: dict[str, Any]) -> str:
    return result["files"]["json"].removesuffix(".json")


def _crashed(run: Run, partial: Path, exc: BaseException) -> dict[str, Any]:
    meta = {
        "notebook": run.notebook,
        "job": run.job,
        "tenant": run.tenant,
        "configuration": run.configuration,
        "parameters": run.parameters,
        "status": "failed",
        "error": _error_line(exc),
        "started": None,
        "duration_seconds": None,
        "files": {"json": f"{run.output}.json"},
        "summary": None,
    }
    target = partial / f"{run.output}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(meta, indent=2, default=str) + "\n", encoding="utf-8")
    return meta


def _point_latest(out: Path, run_id: str) -> None:
    """`out/latest` -> run_id, replaced atomically (a symlink; a small file where symlinks
    are not possible)."""
    latest = out / "latest"
    tmp = out / f".latest.{secrets.token_hex(4)}"
    try:
        os.symlink(run_id, tmp, target_is_directory=True)
    except OSError:
        tmp.write_text(run_id + "\n", encoding="utf-8")
    try:
        os.replace(tmp, latest)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise


def write_summary(report: Report, folder: Path, workers: int) -> None:
    data = {
        "run_id": report.run_id,
        "started": report.started.isoformat(timespec="seconds"),
        "duration_seconds": round(report.duration, 3),
        "schedule": report.schedule,
        "workers": workers,
        "status": "ok" if report.ok else "failed",
        "runs_total": len(report.results),
        "runs_failed": len(report.failed),
        "runs": report.results,
    }
    (folder / "summary.json").write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")


INDEX_TEMPLATE = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>zoomai reports {{ run_id }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
table { border-collapse: collapse; margin-bottom: 2rem; width: 100%; }
th, td { border: 1px solid #ccc; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
.failed { color: #a40000; font-weight: bold; }
.ok { color: #216e1f; }
dl { margin: 0; display: grid; grid-template-columns: max-content auto; column-gap: .8rem; }
dt { color: #555; } dd { margin: 0; }
code { font-size: .9em; }
</style>
</head>
<body>
<h1>zoomai reports</h1>
<p>Run <code>{{ run_id }}</code>, started {{ started }} (UTC), {{ duration }} s, schedule {{ schedule }}:
{{ total }} report{{ "s" if total != 1 }},
<span class="{{ 'failed' if failed else 'ok' }}">{{ failed }} failed</span>.</p>
<p>{% for group in groups %}<a href="#{{ group.anchor }}">{{ group.title }}</a>
{{- " · " if not loop.last }}{% endfor %}</p>
{% for group in groups %}
<h2 id="{{ group.anchor }}">{{ group.title }}</h2>
<table>
<thead>
<tr><th>notebook</th><th>configuration</th><th>status</th><th>key figures</th><th>files</th></tr>
</thead>
<tbody>
{% for r in group.runs %}
<tr>
<td>{% if r.html %}<a href="{{ r.html }}">{{ r.notebook }}</a>{% else %}{{ r.notebook }}{% endif %}</td>
<td>{{ r.configuration or "" }}</td>
<td class="{{ r.status }}">{{ r.status }}{% if r.error %}<br><code>{{ r.error }}</code>{% endif %}</td>
<td>{% if r.figures %}<dl>
{% for k, v in r.figures %}<dt>{{ k }}</dt><dd>{{ v }}</dd>{% endfor %}
</dl>{% endif %}</td>
<td>{% for label, href in r.links %}<a href="{{ href }}">{{ label }}</a> {% endfor %}</td>
</tr>
{% endfor %}
</tbody>
</table>
{% endfor %}
</body>
</html>
"""
MAX_FIGURES = 12


def key_figures(summary: Any) -> list[tuple[str, str]]:
    """Scalar entries of a notebook's summary (one level of nesting flattened), as text."""
    if not isinstance(summary, dict):
        return []
    out: list[tuple[str, str]] = []
    for key, value in summary.items():
        if isinstance(value, dict):
            out += [(f"{key}.{k}", _text(v)) for k, v in value.items() if not isinstance(v, dict | list)]
        else:
            out.append((str(key), _text(value)))
    return out[:MAX_FIGURES]


def _text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e6 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, list):
        text = ", ".join(_text(v) for v in value)
        return text if len(text) <= 200 else text[:197] + "..."
    return str(value)


def write_index(report: Report, folder: Path) -> None:
    from jinja2 import Environment

    env = Environment(autoescape=True)
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in report.results:
        files = r["files"]
        links = [(k, files[k]) for k in ("html", "ipynb", "json") if k in files]
        groups.setdefault(r["tenant"] or NO_TENANT, []).append(
            {
                "notebook": r["notebook"],
                "configuration": r["configuration"],
                "status": r["status"],
                "error": r["error"],
                "html": files.get("html"),
                "links": links,
                "figures": key_figures(r.get("summary")),
            }
        )
    ordered = sorted(groups, key=lambda t: (t != NO_TENANT, t))
    page = env.from_string(INDEX_TEMPLATE).render(
        run_id=report.run_id,
        started=report.started.strftime("%Y-%m-%d %H:%M:%S"),
        duration=f"{report.duration:.1f}",
        schedule=report.schedule or "-",
        total=len(report.results),
        failed=len(report.failed),
        groups=[
            {
                "title": "All tenants / no tenant" if t == NO_TENANT else f"Tenant {t}",
                "anchor": t,
                "runs": groups[t],
            }
            for t in ordered
        ],
    )
    (folder / "index.html").write_text(page, encoding="utf-8")


# ----------------------------------------------------------------------------------- the CLI


def _csv(text: str) -> list[str]:
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise argparse.ArgumentTypeError("expected a comma-separated list of names")
    return items


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def cmd_report(args: argparse.Namespace) -> int:
    if not args.data:
        return _report(args)
    data = Path(args.data)
    if not data.is_dir():
        raise ZoomaiError(f"--data {args.data}: not a folder")
    before = os.environ.get("ZOOMAI_DATA")
    os.environ["ZOOMAI_DATA"] = str(data.resolve())  # read by zoomai here, in workers and kernels
    try:
        return _report(args)
    finally:  # (when called in-process, e.g. by the tests)
        if before is None:
            os.environ.pop("ZOOMAI_DATA", None)
        else:
            os.environ["ZOOMAI_DATA"] = before


def _report(args: argparse.Namespace) -> int:
    schedule_path = Path(args.schedule) if args.schedule else DEFAULT_SCHEDULE
    adhoc = args.notebooks or args.tenants or args.configurations
    base = None
    if args.schedule or not adhoc:
        base, source = load_schedule(schedule_path)
        schedule = base
    if adhoc:
        schedule, source = adhoc_schedule(args.notebooks, args.tenants, args.configurations, base)
    notebooks_dir = Path(args.notebooks_dir) if args.notebooks_dir else NOTEBOOKS_DIR
    runs = plan(schedule, source, notebooks_dir)
    if not runs:
        raise ZoomaiError("nothing to run: the schedule expands to no runs")
    if args.run_id:
        check_run_id(Path(args.out), args.run_id)
    workers = args.workers or schedule.workers or default_workers()
    label = "command line" if adhoc else _display(schedule_path)
    print(f"zoomai report: {len(runs)} runs, {workers} workers", file=sys.stderr)
    try:
        report = run_report(
            runs,
            out=args.out,
            workers=workers,
            run_id=args.run_id,
            cell_timeout=schedule.cell_timeout_seconds,
            fresh_kernels=args.fresh_kernels,
            schedule_name=label,
        )
    except KeyboardInterrupt:
        print("zoomai report: interrupted; no report written", file=sys.stderr)
        return 130
    if report.failed:
        print(f"{len(report.failed)} of {len(report.results)} runs failed:", file=sys.stderr)
        for r in report.failed:
            print(
                f"  {r['notebook']}  tenant={r['tenant'] or '-'}  configuration={r['configuration'] or '-'}"
                f"  {r['error']}",
                file=sys.stderr,
            )
    print(_display(report.index))
    return 0 if report.ok else 1


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="run the notebooks into offline HTML reports (papermill)",
        description="Run the notebooks of a schedule (default: schedules/default.yaml) with papermill, "
        "one run per notebook x tenant x configuration, into reports/<run-id>/ with index.html. "
        "--notebooks/--tenants/--configurations run one ad-hoc job instead of the schedule's jobs.",
    )
    p.add_argument("--schedule", help="schedule YAML file (default: schedules/default.yaml)")
    p.add_argument("--notebooks", type=_csv, help='comma-separated notebook names (default "all")')
    p.add_argument("--tenants", type=_csv, help='comma-separated tenant ids or folders (default "all")')
    p.add_argument(
        "--configurations", type=_csv, help="comma-separated presets or YAML files (default: the notebooks')"
    )
    p.add_argument("--out", default="reports", help="reports folder (default: reports)")
    p.add_argument(
        "--workers", type=_positive, help="parallel runs (default: the schedule's, else min(4, CPUs))"
    )
    p.add_argument("--run-id", help="name of the run's folder (default: UTC time and a random suffix)")
    p.add_argument("--data", help="data folder to use instead of the bundled data/ (sets ZOOMAI_DATA)")
    p.add_argument("--notebooks-dir", help="folder of the notebooks (default: notebooks/)")
    p.add_argument("--fresh-kernels", action="store_true", help="start a new kernel for every run (slower)")
    p.set_defaults(func=cmd_report)
