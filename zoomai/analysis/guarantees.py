"""Option guarantees: per configuration option, what it guarantees and what still flows.

data/guarantees.yaml lists, per option (ZMO, ZDR, hosting outside the US, link-only summary
emails, ...), statements of kind `guarantees` or `still_flows`, each citing policy facts and
carrying a machine-checkable `check` (vocabulary documented at the top of the file).
`option_guarantees()` lists the statements of the options active in a configuration and
evaluates each check against that configuration's flows: a guarantee that does not hold is a
finding to show, not an error.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from zoomai.analysis.configurations import Configuration, get_configuration
from zoomai.analysis.flows import PARTY_NAMES, FlowOptions, flows_for, options_for, switched_off
from zoomai.core.csvio import split_list
from zoomai.core.errors import DataError, Problem
from zoomai.core.paths import data_file
from zoomai.core.yamlio import problems_from, read_yaml
from zoomai.facts.factset import DEFAULT_FACTS, flow_inputs
from zoomai.facts.matrix import load_feature_matrix
from zoomai.facts.policy import UNBOUNDED, PartyKind, Policy, load_policy
from zoomai.facts.registry import RETENTION_LIMITS, SPECS, parse_value, period_days
from zoomai.facts.taxonomy import load_data_categories
from zoomai.reporting import formats

SELECTOR_COLUMNS = (
    "feature_id",
    "product",
    "content_item",
    "direction",
    "data_category",
    "party",
    "party_kind",
    "location",
)
# Retention-period keys a `days_setting` may name: the days keys of the auto-delete settings.
DAYS_SETTINGS = frozenset(days_key for _, days_key in RETENTION_LIMITS.values())
# Flow locations besides a two-letter region (see zoomai.analysis.flows: where()).
FLOW_LOCATION = r"[A-Z]{2}|unknown|device|public"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _given(model: BaseModel) -> list[str]:
    """The fields of a model given a value (not left out, not null)."""
    return [name for name in type(model).model_fields if getattr(model, name) is not None]


def _vocabulary(info: ValidationInfo, name: str) -> frozenset[str]:
    return (info.context or {}).get(name, frozenset())


def _known(value: str, info: ValidationInfo) -> str:
    """A value of a selector column must occur in the matrix/policy/taxonomy (the context)."""
    known = _vocabulary(info, info.field_name or "")
    if value not in known:
        raise ValueError(f"unknown {info.field_name}; expected one of {sorted(known)}")
    return value


def _location(value: str) -> str:
    if not re.fullmatch(FLOW_LOCATION, value):
        raise ValueError("expected a two-letter region, unknown, device or public")
    return value


def _fact(value: str, info: ValidationInfo) -> str:
    if value not in _vocabulary(info, "facts"):
        raise ValueError("unknown policy fact; expected a fact id of data/policy.yaml")
    return value


Known = list[Annotated[str, AfterValidator(_known)]] | None


class Selector(Strict):
    """Flow columns and the value (or any of the values) a matching flow must have."""

    feature_id: Known = None
    product: Known = None
    content_item: Known = None
    direction: list[Literal["input", "output"]] | None = None
    data_category: Known = None
    party: Known = None
    party_kind: list[PartyKind] | None = None
    location: list[Annotated[str, AfterValidator(_location)]] | None = None
    switched_off: Literal[True] | None = None

    @field_validator(*SELECTOR_COLUMNS, mode="before")
    @classmethod
    def _as_list(cls, value: object) -> object:
        """One value or a list of values (any of them)."""
        return [value] if isinstance(value, str) else value

    def conditions(self) -> dict[str, list[str]]:
        """Column -> accepted values, for the columns this selector constrains."""
        return {c: getattr(self, c) for c in SELECTOR_COLUMNS if getattr(self, c) is not None}


class Limit(Selector):
    """A selector plus the number of days: a retention fact or a configuration setting."""

    days: str | None = None
    days_setting: str | None = None

    @field_validator("days")
    @classmethod
    def _bounded_fact(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and value not in _vocabulary(info, "bounded_facts"):
            raise ValueError("expected the id of a retention fact with a number of days")
        return value

    @field_validator("days_setting")
    @classmethod
    def _days_key(cls, value: str | None) -> str | None:
        if value is not None and value not in DAYS_SETTINGS:
            raise ValueError(f"expected one of {sorted(DAYS_SETTINGS)}")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> Limit:
        if (self.days is None) == (self.days_setting is None):
            raise ValueError("expected exactly one of days (a fact id) or days_setting (a setting key)")
        return self


class Check(Strict):
    """Exactly one check (see the vocabulary at the top of data/guarantees.yaml)."""

    absent: Selector | None = None
    present: Selector | None = None
    max_days_at_most: Limit | None = None
    max_days_at_least: Limit | None = None
    located_in_hosting_region: Selector | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Check:
        if len(_given(self)) != 1:
            raise ValueError(f"expected exactly one check of {', '.join(type(self).model_fields)}")
        return self

    @property
    def kind(self) -> str:
        return _given(self)[0]

    @property
    def selector(self) -> Selector:
        return getattr(self, self.kind)


class SettingIs(Strict):
    key: str
    equals: str

    @field_validator("equals", mode="before")
    @classmethod
    def _text(cls, value: object) -> object:
        """YAML true/30 -> "true"/"30", the registry's canonical text (as in configurations)."""
        if isinstance(value, bool):
            return str(value).lower()
        return str(value) if isinstance(value, int) else value

    @model_validator(mode="after")
    def _registry(self) -> SettingIs:
        if self.key not in SPECS:
            raise ValueError(f"unknown setting key {self.key!r}; expected a key of zoomai/registry.py")
        try:
            parse_value(SPECS[self.key], self.equals)
        except ValueError as exc:  # "key: expected ..., got ..." -> "equals: expected ..."
            raise ValueError(f"equals: {str(exc).split(': ', 1)[1]}") from None
        return self


class ActiveWhen(Strict):
    """Exactly one condition under which the option is active in a configuration."""

    zmo: Literal[True] | None = None
    zdr: Literal[True] | None = None
    hosted_outside_us: Literal[True] | None = None
    feature_switched_off: Literal[True] | None = None
    setting: SettingIs | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> ActiveWhen:
        if len(_given(self)) != 1:
            raise ValueError(f"expected exactly one of {', '.join(type(self).model_fields)}")
        return self


class Statement(Strict):
    kind: Literal["guarantees", "still_flows"]
    statement: str = Field(min_length=1)
    facts: list[Annotated[str, AfterValidator(_fact)]] = Field(min_length=1)
    check: Check


class OptionSpec(Strict):
    """One configuration option: when it is active and what it states."""

    label: str = Field(min_length=1)
    active_when: ActiveWhen
    statements: list[Statement] = Field(min_length=1)


class GuaranteesFile(Strict):
    options: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")], OptionSpec] = Field(min_length=1)


class Guarantees(pa.DataFrameModel):
    """One row per statement of an option active in a configuration."""

    configuration: Series[str] = pa.Field(description="Configuration name.")
    region: Series[str] = pa.Field(description="Hosting region the flows were computed for.")
    option: Series[str] = pa.Field(description="Option id in data/guarantees.yaml (zmo, zdr, ...).")
    label: Series[str] = pa.Field(description="The option in words.")
    kind: Series[str] = pa.Field(
        isin=["guarantees", "still_flows"], description="What the option guarantees, or what still flows."
    )
    statement: Series[str] = pa.Field(description="The statement in words.")
    facts: Series[str] = pa.Field(description="Policy fact ids it rests on, '; '-separated.")
    source_section: Series[str] = pa.Field(description="Citations of those facts, ' | '-separated.")
    check: Series[str] = pa.Field(description="The machine check, e.g. 'absent: party_kind=model_provider'.")
    holds: Series[bool] = pa.Field(description="Whether the check holds for the configuration's flows.")
    detail: Series[str] = pa.Field(description="Why: the matching flows, or the flow that breaks it.")

    class Config:
        strict = True


COLUMNS = list(Guarantees.to_schema().columns)


def load_guarantees(path: Path | str | None = None) -> dict[str, OptionSpec]:
    """Option statements from data/guarantees.yaml (or `path`), validated against the policy
    facts, feature matrix, taxonomy and settings registry; DataError names file, line, field."""
    return dict(_load(Path(path) if path else data_file("guarantees.yaml")))


@cache
def _load(path: Path) -> tuple[tuple[str, OptionSpec], ...]:
    data, lines = read_yaml(path)
    if not isinstance(data, dict):
        raise DataError(path, [Problem(1, "options", "expected a mapping with the key options")])
    try:
        spec = GuaranteesFile.model_validate(data, context=_context())
    except ValidationError as exc:
        raise DataError(path, problems_from(exc, lines)) from None
    return tuple(spec.options.items())


def _context() -> dict[str, frozenset[str]]:
    """The vocabularies a guarantees file is checked against."""
    policy = load_policy()
    matrix = load_feature_matrix(policy=policy)
    facts = policy.facts
    retention = facts[facts["kind"] == "retention"]
    return {
        "facts": frozenset(facts["id"]),
        "bounded_facts": frozenset(retention.loc[retention["max_kind"] == "bounded", "id"]),
        "feature_id": frozenset(matrix["feature_id"]),
        "product": frozenset(policy.products),
        "content_item": frozenset(matrix["content_item"]),
        "data_category": frozenset(load_data_categories()["fides_key"]),
        "party": frozenset(PARTY_NAMES.values())
        | frozenset(policy.model_providers)
        | frozenset(facts["party"].dropna()),
    }


def is_active(spec: OptionSpec, config: Configuration, options: FlowOptions, policy: Policy) -> bool:
    """Whether the option is active: ZMO/ZDR chosen, a setting value, or hosting outside the US."""
    when = spec.active_when
    if when.zmo:
        return config.routing_chosen == "zmo"
    if when.zdr:
        return bool(config.zdr)
    if when.hosted_outside_us:
        return options.region != policy.value("us_hosting_region")
    if when.feature_switched_off:
        return bool(switched_off(options.settings))
    assert when.setting is not None
    return config.settings.get(when.setting.key) == when.setting.equals


def _describe(check: Check) -> str:
    sel = check.selector
    parts = [f"{c}={'|'.join(v)}" for c, v in sel.conditions().items()]
    if sel.switched_off:
        parts.append("switched_off")
    if isinstance(sel, Limit):
        parts.append(f"days={sel.days}" if sel.days else f"days={sel.days_setting}")
    return f"{check.kind}: {', '.join(parts) or 'any flow'}"


def _flow(row: pd.Series) -> str:
    return f"{row['party']} ({row['feature_id']}, {row['content_item']}): {row['retention_note']}"


def _flows(match: pd.DataFrame) -> str:
    n = len(match)
    if n == 0:
        return "no matching flow"
    return f"{formats.counted(n, 'matching flow')} at {', '.join(dict.fromkeys(match['party']))}"


def _days(limit: Limit, options: FlowOptions, policy: Policy) -> int | None:
    """The limit in days; None if the configuration does not set the setting."""
    if limit.days:
        return int(policy.fact(limit.days)["max_days"])
    value = options.settings.get(limit.days_setting)
    return period_days(str(value)) if value is not None else None


def _matching(sel: Selector, flows: pd.DataFrame, options: FlowOptions) -> pd.DataFrame:
    mask = pd.Series(True, index=flows.index)
    for column, values in sel.conditions().items():
        if column == "data_category":  # a cell may hold several ';'-separated keys
            mask &= flows[column].map(lambda cell, v=set(values): bool(v & set(split_list(cell))))
        else:
            mask &= flows[column].isin(values)
    if sel.switched_off:
        mask &= flows["feature_id"].isin(switched_off(options.settings))
    return flows[mask]


def evaluate(check: Check, flows: pd.DataFrame, options: FlowOptions, policy: Policy) -> tuple[bool, str]:
    """(holds, detail) of one check against the flows of a configuration."""
    sel = check.selector
    match = _matching(sel, flows, options)
    if check.kind == "absent":
        return match.empty, _flows(match)
    if check.kind == "present":
        return not match.empty, _flows(match)
    if check.kind == "located_in_hosting_region":
        outside = match[match["location"] != options.region]
        if match.empty or outside.empty:
            return not match.empty, _flows(match) + (f", all in {options.region}" if len(match) else "")
        row = outside.iloc[0]
        return False, f"{row['party']} ({row['feature_id']}, {row['content_item']}) in {row['location']}"
    assert isinstance(sel, Limit)
    days = _days(sel, options, policy)
    if days is None:
        return False, f"the configuration sets no value for {sel.days_setting}"
    max_days = match["retention_max_days"]
    if check.kind == "max_days_at_most":
        over = match[max_days.isna() | (max_days.fillna(0) > days)]
        if over.empty:
            longest = f", longest {formats.days(int(max_days.max()))}" if len(match) else ""
            return True, _flows(match) + longest
        row = over.iloc[0]
        return False, f"{_flow(row)} (> {formats.days(days)}; basis: {row['basis']})"
    unbounded = match["retention_note"].str.startswith(UNBOUNDED)
    long_enough = match[unbounded | (max_days.fillna(-1) >= days)]
    if long_enough.empty:
        return False, _flows(match) + (f", none kept {formats.days(days)} or longer" if len(match) else "")
    return True, f"{_flow(long_enough.iloc[0])} (>= {formats.days(days)})"


def option_guarantees(
    configuration: str | Configuration,
    region: str = "US",
    guarantees: dict[str, OptionSpec] | None = None,
    facts: str = DEFAULT_FACTS,
) -> pd.DataFrame:
    """Statements of the options active in a configuration, with whether each holds for its
    flows in the hosting region; columns documented by `Guarantees` (empty if none is active)."""
    config = get_configuration(configuration) if isinstance(configuration, str) else configuration
    guarantees = guarantees if guarantees is not None else load_guarantees()
    policy = flow_inputs(facts)[1]
    options = options_for(config, region, facts)
    flows = flows_for(options, policy=policy)
    rows = []
    for name, spec in guarantees.items():
        if not is_active(spec, config, options, policy):
            continue
        for st in spec.statements:
            holds, detail = evaluate(st.check, flows, options, policy)
            rows.append(
                {
                    "configuration": config.name,
                    "region": options.region,
                    "option": name,
                    "label": spec.label,
                    "kind": st.kind,
                    "statement": st.statement,
                    "facts": "; ".join(st.facts),
                    "source_section": " | ".join(dict.fromkeys(policy.cite(f) for f in st.facts)),
                    "check": _describe(st.check),
                    "holds": holds,
                    "detail": detail,
                }
            )
    frame = pd.DataFrame(rows, columns=COLUMNS).astype({c: str for c in COLUMNS if c != "holds"})
    return Guarantees.validate(frame.astype({"holds": bool}))
