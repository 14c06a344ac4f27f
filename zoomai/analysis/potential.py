"""Potential exposure: what the settings in force allow, without any usage. For each feature in
force, how many users have it, and what one use sends to which party, where and for how long.

Every report shows it; for a tenant without usage it is the answer (usage-weighted figures are
zero there, which says nothing about what the settings allow).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from zoomai.analysis.configurations import Configuration
from zoomai.analysis.exposure import one_tenant, scenario, tenant_ids
from zoomai.facts.certainty import LOWER_BOUND
from zoomai.facts.factset import DEFAULT_FACTS
from zoomai.facts.policy import UNBOUNDED, UNKNOWN
from zoomai.reporting import formats
from zoomai.tenants.tables import Tenant

POTENTIAL_COLUMNS = [
    "tenant_id",
    "feature_id",
    "product",
    "feature",
    "users",
    "content_item",
    "direction",
    "party",
    "party_kind",
    "location",
    "retention_max_days",
    "retention_note",
    "window",
    "condition",
    "certainty",
]
STATEMENT_COLUMNS = ["tenant_id", "product", "feature", "users", "statement", "certainty"]
_KEYS = [c for c in POTENTIAL_COLUMNS if c not in ("tenant_id", "users")]


def potential_exposure(
    tenant: Tenant, configuration: str | Configuration = "default", facts: str = DEFAULT_FACTS
) -> pd.DataFrame:
    """One row per feature in force, content item, party and retention window, with `users`:
    how many users can send that content there (the users whose effective settings make the
    feature available and give that flow); columns POTENTIAL_COLUMNS, by product and feature."""
    frames = []
    for tid in tenant_ids(tenant):
        sc = scenario(one_tenant(tenant, tid), configuration, facts=facts)
        size = np.bincount(sc.user_group, minlength=len(sc.groups))
        flows = sc.flows.assign(users=size[sc.flows["group"].to_numpy()])
        flows = flows[flows["users"] > 0]
        table = flows.groupby(_KEYS, dropna=False, sort=False, as_index=False)["users"].sum()
        frames.append(table.assign(tenant_id=tid))
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=POTENTIAL_COLUMNS)
    return out[POTENTIAL_COLUMNS].astype({"users": "int64"})


def _window_text(part: pd.DataFrame) -> str:
    """The longest window of the rows: unbounded before unknown before the most days."""
    windows = set(part["window"])
    if UNBOUNDED in windows:
        return "kept until deleted"
    if UNKNOWN in windows:
        return "kept for a time the sources do not give"
    days = int(part["retention_max_days"].max())
    return f"kept up to {formats.days(days)}"


def _join(names: list[str], word: str) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" {word} " + names[-1]


def statements(potential: pd.DataFrame) -> pd.DataFrame:
    """One sentence per feature and destination: "412 users can send a meeting transcript to
    OpenAI or Anthropic, kept up to 30 days." Model providers that may receive the same content
    for the same window are joined with "or" (the sources name them as possible, not which
    one); `certainty` is stated when every flow behind the sentence is stated, else the least
    certain one's word. Columns STATEMENT_COLUMNS."""
    rows = []
    for (tid, product, feature), part in potential.groupby(["tenant_id", "product", "feature"], sort=False):
        users = int(part["users"].max())
        dest = part.assign(
            dest_key=np.where(part["party_kind"] == "model_provider", "model_provider", part["party"])
        )
        for _, d in dest.groupby("dest_key", sort=False):
            parties = list(dict.fromkeys(d["party"].astype(str)))
            items = list(dict.fromkeys(map(formats.in_sentence, d["content_item"].astype(str))))
            locations = sorted(set(d["location"].astype(str)) - {"unknown"})
            where = f" in {_join(locations, 'or')}" if locations else ""
            condition = " and ".join(sorted(set(d["condition"]) - {""}))
            certain = d["certainty"].isin(LOWER_BOUND).all()
            rows.append(
                {
                    "tenant_id": tid,
                    "product": product,
                    "feature": feature,
                    "users": users,
                    "statement": f"{formats.counted(users, 'user')} can send {_join(items, 'and')} "
                    f"to {_join(parties, 'or')}{where}, {_window_text(d)}"
                    + (f" ({condition})" if condition else "")
                    + ".",
                    "certainty": "stated"
                    if certain
                    else str(d.loc[~d["certainty"].isin(LOWER_BOUND), "certainty"].iloc[0]),
                }
            )
    return pd.DataFrame(rows, columns=STATEMENT_COLUMNS)


def features_in_force(potential: pd.DataFrame) -> pd.DataFrame:
    """Per feature in force: product, feature, users (columns tenant_id, product, feature, users)."""
    return potential.groupby(["tenant_id", "product", "feature"], sort=False, as_index=False)["users"].max()
