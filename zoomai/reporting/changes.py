"""The changes since the previous snapshot (zoomai.analysis.drift) as a table in words.

One row per change, what widened exposure first: what changed, where (account, a group or site
by name, a user by address), the setting in the admin console's words (labels) or the feature,
party, user or group concerned, the value before and after in words, and for exposure rows the
number of people affected and who (the first few).
"""

from __future__ import annotations

import pandas as pd

from zoomai.analysis.drift import SincePrevious, shorten_people
from zoomai.facts.registry import SPECS
from zoomai.reporting import formats, labels
from zoomai.tenants.tables import Tenant

SECTIONS = ("exposure", "setting", "lock", "user", "group")  # the table's order
CHANGE_WORDS = {
    ("setting", "added"): "Setting set",
    ("setting", "removed"): "Setting no longer set",
    ("setting", "changed"): "Setting changed",
    ("lock", "lock added"): "Lock added",
    ("lock", "lock removed"): "Lock removed",
    ("user", "added"): "User added",
    ("user", "removed"): "User removed",
    ("group", "added"): "Group added",
    ("group", "removed"): "Group removed",
}
WORDS_COLUMNS = ["change", "where", "what", "before", "after", "people", "who"]
EXPOSURE_WHERE = "users in both snapshots"


def _setting_name(key: str) -> str:
    """A setting's label; a lock on an object is named after its switch ('... and its settings')."""
    if key in SPECS or key in labels.load_labels().settings:
        return labels.setting(key)
    switch = f"{key}.enable"
    return f"{labels.setting(switch)} (and its settings)" if switch in SPECS else key


def _where(level: str, scope_id: str, tenant: Tenant) -> str:
    names = {
        "group": tenant.groups.set_index("group_id")["name"],
        "site": tenant.sites.set_index("site_id")["name"],
        "user": tenant.users.set_index("user_id")["email"],
    }
    if level == "account":
        return "Account"
    if level not in names:
        return ""
    name = names[level].get(scope_id)
    shown = scope_id if name is None or pd.isna(name) else f"{name}"
    return f"{labels.value(level).capitalize()} {shown}"


def _what(row: pd.Series) -> str:
    if row["section"] in ("setting", "lock"):
        return _setting_name(str(row["item"]))
    if row["change"] in ("feature newly available", "summaries newly shared outside"):
        return labels.feature(str(row["item"]))
    return str(row["item"])


def changes_words(changes: pd.DataFrame, tenant: Tenant) -> pd.DataFrame:
    """The drift table (zoomai.analysis.drift.COLUMNS) in words (WORDS_COLUMNS), what widened
    exposure first; `tenant` (the current one) names groups, sites and users."""
    order = changes["section"].map({s: i for i, s in enumerate(SECTIONS)})
    rows = []
    for _, row in changes.assign(_order=order).sort_values("_order", kind="stable").iterrows():
        section, change = str(row["section"]), str(row["change"])
        setting = section == "setting"
        exposure = section == "exposure"
        rows.append(
            {
                "change": change.capitalize() if exposure else CHANGE_WORDS[(section, change)],
                "where": EXPOSURE_WHERE
                if exposure
                else _where(str(row["level"]), str(row["scope_id"]), tenant),
                "what": _what(row),
                "before": labels.setting_value(str(row["item"]), row["old"]) if setting else "",
                "after": labels.setting_value(str(row["item"]), row["new"]) if setting else "",
                "people": int(row["people"]) if exposure else None,
                "who": shorten_people(str(row["affected"])) if exposure else "",
            }
        )
    return pd.DataFrame(rows, columns=WORDS_COLUMNS).astype({"people": "Int64"})


def _plural(n: int, word: str) -> str:
    return f"{formats.count(n)} {word}{'' if n == 1 else 's'}"


def summary_sentence(since: SincePrevious | None) -> str:
    """The one line above the table (or instead of it)."""
    if since is None:
        return "No earlier snapshot of this tenant: there is nothing to compare yet."
    if since.previous is None:
        return f"First snapshot of this tenant ({since.snapshot}): there is no earlier one to compare with."
    if since.problem:
        return f"The previous snapshot ({since.previous}) {since.problem}"
    widening = int((since.changes["section"] == "exposure").sum())
    widened = (
        f"exposure widened ({_plural(widening, 'change')}, first in the table)"
        if widening
        else "exposure not widened"
    )
    span = f"From snapshot {since.previous} to {since.snapshot}"
    return f"{span}: {_plural(len(since.changes), 'change')}; {widened}."
