"""Runs of a schedule: every (notebook, tenant, configuration) run with its validated parameters."""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from zoomai.analysis.configurations import get_configuration, load_configurations
from zoomai.analysis.drift import read_since_previous
from zoomai.analysis.guarantees import load_guarantees
from zoomai.core.errors import Problem, ZoomaiError
from zoomai.facts.matrix import load_feature_matrix
from zoomai.facts.notice import load_notice_rules
from zoomai.facts.policy import load_policy
from zoomai.facts.regions import hosting_regions
from zoomai.facts.taxonomy import load_data_categories
from zoomai.reporting.notebook import PARAMETERS
from zoomai.reporting.schedule import (
    ALL,
    CONFIGURATION,
    CONFIGURATIONS,
    NO_TENANT,
    NOTEBOOKS_DIR,
    REGION,
    RESERVED,
    RUN_ID,
    SUMMARY,
    TENANT,
    Job,
    NotebookInfo,
    Schedule,
    ScheduleSource,
    fits,
    list_notebooks,
    notebook_parameters,
)
from zoomai.tenants.tables import bundled_tenant, load_tenant, resolve_tenant_path, tenants_dir

# ----------------------------------------------------------------------------------- runs


@dataclass(frozen=True)
class Run:
    """One execution of one notebook: the parameters passed, and where its files go
    (`output` is the path of its files in the report folder without suffix)."""

    notebook: str
    source: Path
    job: str
    tenant: str | None  # label (see `run_labels`); None when the notebook takes none
    configuration: str | None  # label (preset name or file stem, see `run_labels`)
    parameters: dict[str, Any]
    output: str
    writes_summary: bool
    takes_run_id: bool = False  # the notebook shows the report run's id (parameter run_id)


def _label(value: str) -> str:
    name = Path(value).name if ("/" in value or value.endswith((".yaml", ".yml"))) else value
    name = re.sub(r"\.ya?ml$", "", name)
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name).strip(".") or "_"


def run_labels(values: Iterable[str]) -> dict[str, str]:
    """The label of each tenant or configuration value (bundled id, preset name, folder or file
    path): its name made safe for a path. Where different values share a name (two folders both
    called `t`), each path among them gets `-` and the first 6 hex digits of the SHA-256 of its
    path, so their run folders and index entries stay apart and keep their label from run to run."""
    by_name: dict[str, set[str]] = defaultdict(set)
    for value in values:
        by_name[_label(value)].add(value)
    out = {}
    for name, shared in by_name.items():
        for value in shared:
            clash = len(shared) > 1 and value != name
            out[value] = f"{name}-{hashlib.sha256(value.encode()).hexdigest()[:6]}" if clash else name
    return out


def _bundled_tenants() -> list[str]:
    root = tenants_dir()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def _tenant_value(spec: str, base: Path) -> str:
    """A bundled tenant id stays an id; a folder becomes an absolute path (kernels run
    elsewhere). Raises ZoomaiError (resolve_tenant_path's message) when it is neither."""
    if bundled_tenant(spec) is not None:
        return spec
    path = Path(spec).expanduser()
    path = path if path.is_absolute() else base / path
    if path.is_dir():
        return str(path.resolve())
    return str(resolve_tenant_path(spec).resolve())  # raises, listing the bundled tenants


def _configuration_value(spec: str, base: Path) -> str:
    """A preset name stays a name; a YAML file becomes an absolute path. Raises ZoomaiError."""
    from zoomai.analysis.configurations import load_configurations

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


# The data files every notebook may read: loaded (and so validated) before any kernel starts.
FACT_LOADERS = (
    load_feature_matrix,
    load_policy,
    load_data_categories,
    hosting_regions,
    load_configurations,
    load_guarantees,
    load_notice_rules,
)


def check_facts() -> None:
    """Load every bundled data file (or those of --data / $ZOOMAI_DATA); raises the first
    DataError, which names its file, line and field."""
    for load in FACT_LOADERS:
        load()


class _TenantCheck:
    """Each tenant of a plan loaded and validated once (a tenant folder is read in full)."""

    def __init__(self) -> None:
        self.seen: dict[str, str | None] = {}

    def problem(self, value: str) -> str | None:
        """None if the tenant loads; else the error message."""
        if value not in self.seen:
            try:
                load_tenant(value)
                read_since_previous(resolve_tenant_path(value))  # the settings audit's first section
                self.seen[value] = None
            except ZoomaiError as exc:
                self.seen[value] = _message(exc)
        return self.seen[value]


def plan(schedule: Schedule, source: ScheduleSource, notebooks_dir: Path = NOTEBOOKS_DIR) -> list[Run]:
    """Expand a schedule into runs and validate every parameter of every run; raise one
    ZoomaiError listing every problem (no run starts when anything is wrong). The pre-flight:
    the data files, every tenant and every configuration are loaded and validated here."""
    check_facts()
    tenant_check = _TenantCheck()
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
        for i, value in enumerate(tenants or []):
            message = tenant_check.problem(value)
            if message:
                bad(("tenants",) if job.tenants == ALL else ("tenants", i), message)

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
                if not fits(value, param.type):
                    bad(
                        loc,
                        f"notebook {nb.name} expects {param.type} (default {param.default_text}), "
                        f"got {value!r}",
                    )
                    break
            else:
                try:
                    if name in PARAMETERS:
                        PARAMETERS[name](value)
                except (ValueError, ZoomaiError) as exc:
                    bad(loc, _message(exc))
                    continue
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
    return _name_outputs(_labelled(runs))


def _labelled(runs: list[Run]) -> list[Run]:
    """Runs with their tenant and configuration values replaced by their `run_labels`."""
    tenants = run_labels(r.tenant for r in runs if r.tenant)
    configurations = run_labels(r.configuration for r in runs if r.configuration)
    return [
        replace(
            r,
            tenant=tenants[r.tenant] if r.tenant else None,
            configuration=configurations[r.configuration] if r.configuration else None,
        )
        for r in runs
    ]


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
                    tenant=t,  # the value; `_labelled` makes it a label
                    configuration=c,
                    parameters=params,
                    output="",
                    writes_summary=SUMMARY in declared,
                    takes_run_id=RUN_ID in declared,
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
        out.append(replace(run, output=name))
    return out
