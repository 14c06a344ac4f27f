"""Fact sets: the whitepaper v5.0 facts, or the "current" facts of Zoom's later pages.

`load_facts("v5.0")` is today's data unchanged (data/feature_matrix.csv, data/policy.yaml).
`load_facts("current")` carries the v5.0 facts over and applies data/current/: matrix rows
added, changed or removed (feature_changes.csv, zoomai.facts.overlay), new facts and facts
that replace v5.0 ones (facts.yaml) and the disagreements between sources (conflicts.yaml,
zoomai.facts.current). Every current fact cites a web page of data/sources.yaml and its section.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import pandas as pd

from zoomai.core.errors import ZoomaiError
from zoomai.core.paths import data_file
from zoomai.core.yamlio import load_model, read_yaml
from zoomai.facts.current import (
    Cite,
    ConflictsFile,
    CurrentFact,
    CurrentFile,
    check_conflicts,
    check_facts,
    conflict_frame,
    deployment_options,
)
from zoomai.facts.matrix import load_feature_matrix, summary
from zoomai.facts.overlay import apply_overlay, summary_with_unknown, unknown_shown
from zoomai.facts.policy import UNKNOWN, Policy, fact_row, load_policy
from zoomai.facts.sources import FACT_SETS, load_sources

DEFAULT_FACTS = "current"


@dataclass(frozen=True)
class FactSet:
    """One fact set: its matrix, facts, providers, deployment options, conflicts and sources.

    matrix: the feature matrix columns plus source, source_location, certainty and origin (v5.0 or
    current); in `current`, flags unknown to the sources are <NA> and text cells 'unknown'.
    facts: id, kind, value, unit, statement, certainty, option, document, section, source_location,
    replaces, origin. conflicts: one row per statement of each conflict, with its citation.
    """

    name: str
    matrix: pd.DataFrame
    facts: pd.DataFrame
    model_providers: pd.DataFrame
    deployment_options: pd.DataFrame
    conflicts: pd.DataFrame
    sources: pd.DataFrame
    policy: Policy


def check_facts_name(facts: str) -> str:
    """`facts` if it names a fact set, else a ZoomaiError listing them."""
    if facts not in FACT_SETS:
        raise ZoomaiError(f"unknown fact set {facts!r}; expected one of {', '.join(FACT_SETS)}")
    return facts


def load_facts(facts: str = DEFAULT_FACTS, folder: Path | str | None = None) -> FactSet:
    """The fact set `facts` ('v5.0' or 'current'); `folder` replaces data/current/ (tests)."""
    if check_facts_name(facts) == "v5.0":
        return _v5()
    return _current(Path(folder) if folder else data_file("current"))


def flow_inputs(facts: str = DEFAULT_FACTS) -> tuple[pd.DataFrame, Policy]:
    """(matrix, policy) the flows engine reads for a fact set of the data folder in use: for
    v5.0 the bundled matrix and policy themselves, for 'current' their overlaid versions (see
    `FactSet.policy`). Memoised per data folder: the analysis asks again and again."""
    if check_facts_name(facts) == "v5.0":
        return load_feature_matrix(), load_policy()
    return _bundled_inputs(facts, data_file("current"))


def flow_policy(facts: str = DEFAULT_FACTS) -> Policy:
    """The policy of `flow_inputs(facts)`, without copying the matrix (the flows engine asks for
    it once per setting group)."""
    if check_facts_name(facts) == "v5.0":
        return load_policy()
    return _bundled_inputs(facts, data_file("current"))[1]


@cache
def _bundled_inputs(facts: str, folder: Path) -> tuple[pd.DataFrame, Policy]:
    fact_set = load_facts(facts, folder)
    return fact_set.matrix, fact_set.policy


def routing_effects(facts: str = DEFAULT_FACTS) -> pd.DataFrame:
    """What each deployment option of the fact set changes in the flows, indexed by option id:
    third_party_models (possible, none, unknown), not_zmo_eligible (available, unavailable,
    unknown), with their citations (data/deployment_options.yaml)."""
    return _routing_effects(check_facts_name(facts), data_file("deployment_options.yaml")).copy()


@cache
def _routing_effects(facts: str, path: Path) -> pd.DataFrame:
    return deployment_options(facts, load_sources()).set_index("id")


def matrix_table(facts: str, matrix_path: Path | str | None = None, summarised: bool = False) -> pd.DataFrame:
    """The feature matrix of a fact set as printed, or its per-product counts (`summarised`).
    `matrix_path` replaces the v5.0 matrix file and so applies to 'v5.0' only. In 'current',
    cells the sources leave open read 'unknown' and the counts keep unknown flags apart."""
    if facts == "v5.0":
        matrix = load_feature_matrix(matrix_path)
        return summary(matrix) if summarised else matrix
    if matrix_path:
        raise ZoomaiError(f"--path replaces the v5.0 matrix; it cannot be combined with --facts {facts}")
    matrix = load_facts(facts).matrix
    return summary_with_unknown(matrix) if summarised else unknown_shown(matrix)


def _v5() -> FactSet:
    policy = load_policy()
    sources = load_sources()
    urls = sources.set_index("id")["location"]
    matrix = load_feature_matrix()
    facts = policy.facts.assign(source_location=policy.facts["document"].map(urls))
    return FactSet(
        name="v5.0",
        matrix=matrix,
        facts=_fact_columns(facts.assign(origin="v5.0")),
        model_providers=_providers(policy.model_providers, _v5_provider_source(policy)),
        deployment_options=deployment_options("v5.0", sources),
        conflicts=conflict_frame([], sources),
        sources=sources[sources["fact_set"] == "v5.0"].reset_index(drop=True),
        policy=policy,
    )


def _v5_provider_source(policy: Policy) -> Cite:
    """The citation data/policy.yaml gives for its list of model providers."""
    data, _ = read_yaml(policy.path)
    return Cite.model_validate(data["model_providers"]["source"])


def _providers(names: Sequence[str], source: Cite) -> pd.DataFrame:
    return pd.DataFrame(
        [{"name": n, **source.model_dump()} for n in names], columns=["name", "document", "section"]
    )


def _fact_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """The columns both fact sets share; one the policy file does not give is left empty."""
    columns = ["id", "kind", "value", "unit", "statement", "certainty", "option", "document", "section"]
    out = frame.reindex(columns=[*columns, "source_location", "replaces", "origin"])
    return out.astype({"kind": str}).reset_index(drop=True)


def _current(folder: Path) -> FactSet:
    policy = load_policy()
    sources = load_sources()
    spec = load_model(folder / "facts.yaml", CurrentFile)
    conflicts = load_model(folder / "conflicts.yaml", ConflictsFile)
    check_facts(folder / "facts.yaml", spec, policy, sources)
    check_conflicts(folder / "conflicts.yaml", conflicts, spec, policy, sources)
    v5 = _v5()
    providers = (*policy.model_providers, *spec.model_providers.values)
    cited = pd.concat(
        [v5.model_providers, _providers(spec.model_providers.values, spec.model_providers.source)],
        ignore_index=True,
    )
    urls = sources.set_index("id")["location"]
    new = pd.DataFrame(
        [
            {
                "id": f.id,
                "kind": f.kind,
                "value": f.value,
                "unit": f.unit,
                "statement": " ".join(f.statement.split()),
                "certainty": f.certainty or pd.NA,
                "option": f.option if f.option is not None else pd.NA,
                "document": f.source.document,
                "section": f.source.section,
                "source_location": urls[f.source.document],
                "replaces": f.replaces or pd.NA,
                "origin": "current",
            }
            for f in spec.facts
        ]
    )
    kept = v5.facts[~v5.facts["id"].isin(new["replaces"].dropna())]
    retention_ids = policy.retention_ids() | {f.id for f in spec.facts if f.kind == "retention"}
    products = (*policy.products, *spec.products.values)
    matrix = apply_overlay(
        folder / "feature_changes.csv", v5.matrix, policy, products, sources, providers, retention_ids
    )
    return FactSet(
        name="current",
        matrix=matrix,
        facts=pd.concat([kept, new], ignore_index=True),
        model_providers=cited,
        deployment_options=deployment_options("current", sources),
        conflicts=conflict_frame(conflicts.conflicts, sources),
        sources=sources,
        policy=_current_policy(policy, spec.facts, providers, products),
    )


def _current_policy(
    policy: Policy, facts: list[CurrentFact], providers: tuple[str, ...], products: tuple[str, ...]
) -> Policy:
    """The v5.0 policy with the current facts: a fact that `replaces` a v5.0 one stands in for
    it (Policy.fact follows the replacement), new facts are added with the v5.0 columns, and
    the options offered outside the US come from the fact replacing non_us_hosting_zmo_only."""
    rows = [
        {**fact_row(f), "statement": " ".join(f.statement.split()), "certainty": f.certainty or UNKNOWN}
        for f in facts
    ]
    replaced = {f.replaces: f.id for f in facts if f.replaces}
    new = pd.DataFrame(rows).reindex(columns=policy.facts.columns)
    for col in ("min_days", "max_days"):
        new[col] = new[col].astype("Int64")
    kept = policy.facts[~policy.facts["id"].isin(list(replaced))].astype({"kind": str})
    table = pd.concat([kept, new.astype({"kind": str})], ignore_index=True)
    regional = next((f for f in facts if f.replaces == "non_us_hosting_zmo_only"), None)
    outside = None
    if regional is not None:
        outside = tuple([regional.option] if isinstance(regional.option, str) else regional.option or [])
    return replace(
        policy,
        facts=table,
        products=products,
        model_providers=providers,
        replaced_by=replaced,
        non_us_options=outside,
    )
