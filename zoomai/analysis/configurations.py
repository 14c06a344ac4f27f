"""Configurations: named presets (data/configurations.yaml) and custom ones in the same YAML
shape. A configuration is a set of locked account-level settings plus the options Zoom support
sets: model routing (`routing: federated | zm_plus | zmo`; the older `zmo: true` still reads as
routing zmo, `zmo: false` as federated) and ZDR."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from zoomai.core.errors import DataError, Problem, ZoomaiError
from zoomai.core.paths import data_file
from zoomai.core.yamlio import line_of, problems_from, read_yaml
from zoomai.facts.registry import SPECS, parse_value
from zoomai.tenants.tables import Tenant, coerce


class Configuration(BaseModel):
    """One configuration; `settings` maps registry keys to canonical text values."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    description: str = ""
    zmo: bool | None = None
    zdr: bool | None = None
    routing: Literal["federated", "zm_plus", "zmo"] | None = None
    settings: dict[str, str] = Field(default_factory=dict)

    @field_validator("routing")
    @classmethod
    def routing_agrees(cls, value: str | None, info: ValidationInfo) -> str | None:
        zmo = info.data.get("zmo")
        if value is not None and zmo is not None and (value == "zmo") != zmo:
            raise ValueError(
                f"routing {value!r} contradicts zmo: {str(zmo).lower()}; give routing alone "
                "(zmo: true is the older spelling of routing: zmo)"
            )
        return value

    @property
    def routing_chosen(self) -> str | None:
        """The model routing the configuration sets, or None to keep the tenant's. `zmo: true`
        wins (a what-if turning ZMO on copies the configuration with zmo set)."""
        if self.zmo:
            return "zmo"
        if self.routing is not None:
            return self.routing
        return None if self.zmo is None else "federated"

    @field_validator("settings", mode="before")
    @classmethod
    def text_values(cls, value: object) -> object:
        if isinstance(value, dict):  # YAML true/30 -> "true"/"30", the registry's canonical text
            return {k: (str(v).lower() if isinstance(v, bool) else str(v)) for k, v in value.items()}
        return value


def load_configurations(path: Path | str | None = None) -> dict[str, Configuration]:
    """Named configurations from a YAML file (default: the bundled presets), validated:
    every settings key must be in the registry and every value fit its type."""
    return dict(_load(Path(path) if path else data_file("configurations.yaml")))


@cache
def _load(path: Path) -> tuple[tuple[str, Configuration], ...]:
    data, lines = read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("configurations"), dict):
        raise DataError(path, [Problem(1, "configurations", "expected a mapping of configuration names")])
    problems: list[Problem] = []
    out = []
    for name, body in data["configurations"].items():
        loc = ("configurations", name)
        body = {} if body is None else body
        if not isinstance(body, dict):
            problems.append(Problem(line_of(lines, loc), f"configurations.{name}", "expected a mapping"))
            continue
        if isinstance(body.get("settings"), dict):
            problems += _settings_problems(name, Configuration.text_values(body["settings"]), lines)
        try:
            out.append((name, Configuration.model_validate({"name": name, **body})))
        except ValidationError as exc:  # error locations are relative to loc
            inner = {k[len(loc) :]: v for k, v in lines.items() if k[: len(loc)] == loc}
            for p in problems_from(exc, inner):
                if not (p.field or "").startswith("settings"):
                    field = f"configurations.{name}" + (f".{p.field}" if p.field else "")  # None: the name
                    problems.append(Problem(p.line, field, p.message))
    if problems:
        raise DataError(path, problems)
    return tuple(out)


def _settings_problems(name: str, settings: dict[str, str], lines: dict) -> list[Problem]:
    """Every settings key must be a registry key and every value fit the key's type."""
    problems = []
    for key, value in settings.items():
        where = line_of(lines, ("configurations", name, "settings", key))
        field = f"configurations.{name}.settings.{key}"
        if key not in SPECS:
            problems.append(
                Problem(where, field, "unknown setting key; expected a key of zoomai/registry.py")
            )
            continue
        try:
            parse_value(SPECS[key], value)
        except ValueError as exc:
            problems.append(Problem(where, field, str(exc).split(": ", 1)[1]))
    return problems


def get_configuration(name_or_path: str, presets: dict[str, Configuration] | None = None) -> Configuration:
    """A preset by name, or the single configuration of a custom YAML file."""
    presets = presets if presets is not None else load_configurations()
    if name_or_path in presets:
        return presets[name_or_path]
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") and path.exists():
        custom = load_configurations(path)
        if len(custom) != 1:
            raise ZoomaiError(f"{path}: expected exactly one configuration, found {len(custom)}")
        return next(iter(custom.values()))
    raise ZoomaiError(
        f"unknown configuration {name_or_path!r}; expected one of {', '.join(presets)} or a YAML file"
    )


def apply_configuration(tenant: Tenant, config: Configuration) -> Tenant:
    """The tenant with the configuration applied: its settings as locked account-level rows
    (replacing the tenant's own account rows for those keys), and routing/ZDR where it sets
    them (routing zm_plus in the tenants table's optional `routing` column, zmo_enabled kept
    equal to routing == zmo). Hosting outside the US is handled by the analysis."""
    tenants = tenant.tenants.copy()
    routing = config.routing_chosen
    if routing is not None:
        tenants["zmo_enabled"] = routing == "zmo"
        tenants["routing"] = routing
    if config.zdr is not None:
        tenants["zdr_enabled"] = config.zdr
    rows = [
        dict(tenant_id=tid, level="account", scope_id=tid, key=k, value=v, locked=True)
        for tid in tenants["tenant_id"]
        for k, v in config.settings.items()
    ]
    settings = tenant.settings
    if rows:
        overridden = (settings["level"] == "account") & settings["key"].isin(list(config.settings))
        settings = pd.concat([settings[~overridden], coerce("settings", rows)], ignore_index=True)
    return Tenant(
        tenants=tenants,
        groups=tenant.groups,
        sites=tenant.sites,
        users=tenant.users,
        settings=settings,
        usage=tenant.usage,
    )
