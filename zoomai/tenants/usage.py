"""A real tenant's usage: observed usage from a snapshot's usage files, estimated usage (a usage
model) for the features without evidence, and the record of both kept beside the tenant's
tables (USAGE_FILE) so every report can say what its figures rest on.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from zoomai.core.errors import DataError, Problem
from zoomai.core.yamlio import read_json
from zoomai.tenants.estimate import UsageModel, estimate_usage, model_table
from zoomai.tenants.observed import account_domains, read_observed, usage_evidence
from zoomai.tenants.simulate import feature_facts
from zoomai.tenants.tables import USAGE_SOURCES, Tenant, coerce, resolve_tenant_path, validate

USAGE_FILE = "usage_provenance.json"


def add_usage(
    tenant: Tenant,
    src: Path | str,
    domains: tuple[str, ...] = (),
    model: UsageModel | None = None,
    seed: int = 0,
) -> tuple[Tenant, dict[str, Any]]:
    """The single tenant with observed usage from `src`'s usage files and, with `model`,
    estimated usage for the model's features that have no observed evidence; and the provenance
    record (written as USAGE_FILE): domains, features observed, model, seed, rows per source."""
    domain_set = account_domains(tenant, domains)
    observed = read_observed(src, tenant, domain_set)
    parts = [observed.usage]
    if model is not None:
        first = int(observed.usage["activity_id"].max()) + 1 if len(observed.usage) else 0
        parts.append(estimate_usage(tenant, model, seed, observed.features, first))
    usage = coerce("usage", pd.concat(parts, ignore_index=True))  # categories: the union
    out = validate(Tenant(**{**vars(tenant), "usage": usage}))
    counts = usage["source"].value_counts()
    record = {
        "domains": sorted(domain_set),
        "observed_features": sorted(observed.features),
        "observed_files": observed.files,
        "notes": observed.notes,
        "rows": {s: int(counts.get(s, 0)) for s in USAGE_SOURCES},
        "model": None if model is None else {**model.model_dump(mode="json"), "seed": seed},
    }
    return out, record


def covered_features(sources: Iterable[str]) -> frozenset[str]:
    """The features whose uses the usage of these sources shows, so that a feature without rows
    was really not used: simulated and estimated usage are drawn for every feature the simulator
    and the usage models know (the whitepaper v5.0 features), observed usage is read for the
    features with evidence in Zoom's APIs (data/usage_evidence.yaml). Any other feature, e.g.
    one a later fact set adds, has unknown usage: never 0."""
    covered: set[str] = set()
    for source in set(sources):
        covered |= set(usage_evidence()) if source == "observed" else set(feature_facts().index)
    return frozenset(covered)


def record_text(record: dict[str, Any]) -> str:
    return json.dumps(record, indent=2) + "\n"


def load_record(spec: str | Path) -> dict[str, Any] | None:
    """The usage provenance record of a tenant folder (None for a bundled simulated tenant or a
    folder imported without one)."""
    path = resolve_tenant_path(spec) / USAGE_FILE
    if not path.is_file():
        return None
    data = read_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("rows"), dict):
        raise DataError(path, [Problem(None, "rows", "expected the usage rows per source")])
    return data


def assumptions(record: dict[str, Any] | None) -> pd.DataFrame:
    """The estimate model's assumptions (estimate.MODEL_COLUMNS) of a provenance record; empty
    without a model. Features with observed usage are marked as not estimated."""
    if not record or not record.get("model"):
        return pd.DataFrame(columns=["feature_id", "product", "feature", "estimated"])
    model = UsageModel.model_validate({k: v for k, v in record["model"].items() if k != "seed"})
    table = model_table(model)
    return table.assign(estimated=~table["feature_id"].isin(record.get("observed_features", [])))


EVIDENCE_COLUMNS = ["feature_id", "evidence", "one_use", "api_fields", "endpoint", "source"]


def evidence_table() -> pd.DataFrame:
    """data/usage_evidence.yaml as a table (columns EVIDENCE_COLUMNS): which features have
    observed usage, and the evidence in words a privacy analyst reads ('Zoom API: list of
    meeting summaries (GET /meetings/meeting_summaries)'); the API fields read, the endpoint and
    the SDK types they come from (`source`) each in a column of their own."""
    return pd.DataFrame(
        [
            {
                "feature_id": e.feature_id,
                "evidence": f"Zoom API: {e.endpoint_name} ({e.endpoint})",
                "one_use": e.one_use,
                "api_fields": e.fields,
                "endpoint": e.endpoint,
                "source": e.source,
            }
            for e in usage_evidence().values()
        ],
        columns=EVIDENCE_COLUMNS,
    )


def model_name(record: dict[str, Any] | None) -> str:
    """The id of the usage model a provenance record names ('' without one)."""
    return str(record["model"]["id"]) if record and record.get("model") else ""
