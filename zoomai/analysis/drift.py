"""Drift between two snapshots (or tenant folders) of one account, and whether it widened exposure.

Lists settings added, removed and changed per level and scope, locks added and removed, users
and groups added and removed. Exposure is compared per user present in both, on the settings in
force for them (`effective_settings` via `flow_settings`) and the tenant's ZMO/ZDR/region:
a feature newly available (`availability`), a party newly receiving content (`flows_for`), and
meeting summaries newly reaching people outside the organisation (a summary flow to an external
recipient). Each exposure change names the people affected. Users added are listed, not counted
as widening: what they may use is the same as for the users already there.

A tenant folder imported from a dated snapshot (`import_snapshot`, used by `import-settings` and
`pull --import`) keeps the drift from the snapshot before it as CHANGES_FILE, computed at import
time with the same pseudonym key; the settings audit shows it first (`read_since_previous`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from zoomai.analysis.exposure import flow_settings
from zoomai.analysis.flows import SUMMARY_FEATURE, FlowOptions, availability, flows_for
from zoomai.core.errors import DataError, Problem, ZoomaiError
from zoomai.core.yamlio import read_json
from zoomai.facts.registry import SPECS, parse_value
from zoomai.reporting import formats
from zoomai.tenants.importer import import_settings, read_export
from zoomai.tenants.layout import has_account_settings
from zoomai.tenants.pseudonymise import pseudonymise
from zoomai.tenants.snapshots import is_snapshot, previous_snapshot
from zoomai.tenants.tables import Tenant, load_tenant, tenant_routing

COLUMNS = ["section", "change", "level", "scope_id", "item", "old", "new", "people", "affected"]
ACCOUNT_SCOPE = "account"  # account-level rows are compared whatever the tenant id
EXTERNAL = "external_recipient"
WIDENING = ("feature newly available", "party newly receiving content", "summaries newly shared outside")


def load_side(path: Path | str, region: str | None = None) -> Tenant:
    """A tenant folder (tenants.parquet) or a pulled snapshot (account_settings.json, imported in
    memory; needs the hosting region, which Zoom's API does not give)."""
    path = Path(path)
    if (path / "tenants.parquet").is_file():
        return load_tenant(path)
    if has_account_settings(path):
        if region is None:
            raise ZoomaiError(f"{path}: a snapshot; give its hosting region with --region (e.g. US, DE)")
        return read_export(path, tenant_id="snapshot", region=region)[0]
    raise ZoomaiError(
        f"{path}: neither a snapshot (account_settings.json) nor a tenant folder (tenants.parquet)"
    )


def _row(section: str, change: str, **fields: object) -> dict[str, object]:
    return {c: fields.get(c, "") for c in COLUMNS} | {"section": section, "change": change}


def _scoped(tenant: Tenant) -> pd.DataFrame:
    s = tenant.settings.astype({"level": str})
    s = s.assign(scope_id=s["scope_id"].where(s["level"] != "account", ACCOUNT_SCOPE))
    return s.set_index(["level", "scope_id", "key"])[["value", "locked"]]


def setting_changes(old: Tenant, new: Tenant) -> list[dict[str, object]]:
    """Values added, removed or changed, and locks added or removed, per level and scope."""
    both = (
        pd.merge(
            _scoped(old),
            _scoped(new),
            how="outer",
            left_index=True,
            right_index=True,
            suffixes=("_old", "_new"),
        )
        .sort_index()
        .reset_index()
    )
    before, after = (both[f"value_{side}"].astype("string") for side in ("old", "new"))
    locked_before, locked_after = (
        both[f"locked_{side}"].fillna(False).astype(bool) for side in ("old", "new")
    )
    value_changed = before.fillna("\0").ne(after.fillna("\0"))
    lock_changed = locked_before.ne(locked_after)
    rows = []
    for i in both.index[value_changed | lock_changed]:
        where = {"level": both.at[i, "level"], "scope_id": both.at[i, "scope_id"], "item": both.at[i, "key"]}
        was, now = (None if pd.isna(v) else str(v) for v in (before[i], after[i]))
        if value_changed[i]:
            change = "added" if was is None else "removed" if now is None else "changed"
            rows.append(_row("setting", change, **where, old=was or "", new=now or ""))
        if lock_changed[i]:
            rows.append(_row("lock", "lock added" if locked_after[i] else "lock removed", **where))
    return rows


def directory_changes(old: Tenant, new: Tenant) -> list[dict[str, object]]:
    """Users and groups added or removed."""
    rows = []
    for section, table, id_col, label in (
        ("user", "users", "user_id", "email"),
        ("group", "groups", "group_id", "name"),
    ):
        a = getattr(old, table).set_index(id_col)[label]
        b = getattr(new, table).set_index(id_col)[label]
        for change, ids, names in (
            ("added", b.index.difference(a.index), b),
            ("removed", a.index.difference(b.index), a),
        ):
            rows += [_row(section, change, scope_id=i, item=_name(names[i], i)) for i in sorted(ids)]
    return rows


def _name(value: object, fallback: str) -> str:
    return fallback if value is None or pd.isna(value) else str(value)


@dataclass(frozen=True)
class Reach:
    """What one user's settings in force allow."""

    features: frozenset[str]
    parties: frozenset[str]
    shares_outside: bool


def _options(info: pd.Series, keys: list[str], values: tuple) -> FlowOptions:
    """FlowOptions of one user's settings in force (canonical texts, "" where unset)."""
    typed = {k: parse_value(SPECS[k], v) for k, v in zip(keys, values, strict=True) if v}
    region = str(info["hosting_region"])
    return FlowOptions(
        zdr=bool(info["zdr_enabled"]), region=region, settings=typed, routing=tenant_routing(info)
    )


def _reach(options: FlowOptions) -> Reach:
    avail = availability(options)
    flows = flows_for(options)
    summary = flows[(flows["feature_id"] == SUMMARY_FEATURE) & (flows["party_kind"] == EXTERNAL)]
    return Reach(
        frozenset(avail.loc[avail["available"], "feature_id"]), frozenset(flows["party"]), not summary.empty
    )


def user_reach(tenant: Tenant) -> dict[str, Reach]:
    """Each user's available features, receiving parties and external summary sharing."""
    wide = flow_settings(tenant)
    keys = list(wide.columns)
    by_values: dict[tuple, Reach] = {}
    out = {}
    for user_id, values in zip(wide.index, wide.itertuples(index=False, name=None), strict=True):
        if values not in by_values:
            by_values[values] = _reach(_options(tenant.info, keys, values))
        out[str(user_id)] = by_values[values]
    return out


def exposure_changes(old: Tenant, new: Tenant) -> list[dict[str, object]]:
    """What newly reaches whom, for the users in both: one row per feature, party or sharing."""
    before, after = user_reach(old), user_reach(new)
    emails = new.users.set_index("user_id")["email"]
    gained: dict[tuple[str, str], list[str]] = {}
    for uid in sorted(before.keys() & after.keys()):
        a, b = before[uid], after[uid]
        who = _name(emails.get(uid), uid)
        for feature in b.features - a.features:
            gained.setdefault((WIDENING[0], feature), []).append(who)
        for party in b.parties - a.parties:
            gained.setdefault((WIDENING[1], party), []).append(who)
        if b.shares_outside and not a.shares_outside:
            gained.setdefault((WIDENING[2], SUMMARY_FEATURE), []).append(who)
    return [
        _row("exposure", change, item=item, people=len(people), affected="; ".join(people))
        for (change, item), people in sorted(gained.items())
    ]


def shorten_people(people: str, most: int = 10) -> str:
    """The first `most` of a '; '-separated list of people, and how many more."""
    names = people.split("; ") if people else []
    return "; ".join(names[:most]) + (f"; and {len(names) - most} more" if len(names) > most else "")


def drift(old: Tenant, new: Tenant) -> pd.DataFrame:
    """All changes from `old` to `new`, one row each (COLUMNS); exposure rows widen exposure."""
    rows = setting_changes(old, new) + directory_changes(old, new) + exposure_changes(old, new)
    return pd.DataFrame(rows, columns=COLUMNS).astype({"people": object})


def widens_exposure(changes: pd.DataFrame) -> bool:
    return bool((changes["section"] == "exposure").any())


# --- the changes since the previous snapshot, kept in the tenant folder -------------------------

CHANGES_FILE = "changes_since_previous.json"


@dataclass(frozen=True)
class SincePrevious:
    """What a tenant folder imported from a snapshot knows about the snapshot before it.

    `previous` is None for the first snapshot; `problem` says why the previous one could not
    be compared (then `changes` is empty)."""

    snapshot: str
    previous: str | None
    changes: pd.DataFrame
    problem: str = ""

    @property
    def widens(self) -> bool:
        return widens_exposure(self.changes)

    def to_json(self) -> str:
        record = {"snapshot": self.snapshot, "previous": self.previous, "problem": self.problem}
        record |= {"widens_exposure": self.widens, "changes": self.changes.to_dict("records")}
        return json.dumps(record, indent=2, ensure_ascii=False) + "\n"


def since_previous(snapshot: Path, tenant: Tenant, pseudonym_key: bytes | None = None) -> SincePrevious:
    """The drift from the snapshot before `snapshot` (in the same snapshots folder) to `tenant`,
    the tenant just imported from it. The previous one is read with the tenant's hosting
    region, ZMO and ZDR (the API gives none of them) and pseudonymised with the same key, so the
    people named match the tenant folder's. A previous snapshot that cannot be read is reported
    in `problem`, not raised: the new import stands on its own."""
    previous = previous_snapshot(snapshot)
    empty = pd.DataFrame(columns=COLUMNS)
    if previous is None:
        return SincePrevious(snapshot.name, None, empty)
    info = tenant.info
    try:
        old = read_export(
            previous,
            tenant_id=tenant.tenant_id,
            region=str(info["hosting_region"]),
            zmo=bool(info["zmo_enabled"]),
            zdr=bool(info["zdr_enabled"]),
        )[0]
    except ZoomaiError as exc:
        return SincePrevious(snapshot.name, previous.name, empty, f"could not be read: {exc}")
    if pseudonym_key is not None:
        old = pseudonymise(old, pseudonym_key)
    return SincePrevious(snapshot.name, previous.name, drift(old, tenant))


def import_snapshot(
    src: Path | str, out: Path | str, pseudonym_key: bytes | None = None, **options: object
) -> tuple[Tenant, dict, SincePrevious | None]:
    """`import_settings`, and when `src` is a snapshot (a folder named by its UTC time in a
    snapshots folder) the changes since the snapshot before it, saved in the tenant folder as
    CHANGES_FILE in the same atomic step: the settings audit shows them first. None when `src`
    is not a snapshot."""
    src = Path(src)
    found: list[SincePrevious] = []

    def changes_file(tenant: Tenant) -> dict[str, str]:
        if not is_snapshot(src):
            return {}
        found.append(since_previous(src, tenant, pseudonym_key))
        return {CHANGES_FILE: found[0].to_json()}

    tenant, report = import_settings(src, out, pseudonym_key, derived=changes_file, **options)
    return tenant, report, (found[0] if found else None)


def read_since_previous(folder: Path | str) -> SincePrevious | None:
    """The changes a tenant folder keeps (CHANGES_FILE); None when it has none (a bundled or
    simulated tenant, or one imported from a folder that is not a snapshot)."""
    path = Path(folder) / CHANGES_FILE
    if not path.is_file():
        return None
    data = read_json(path)
    expected: dict[str, tuple[type | tuple[type, ...], str]] = {
        "snapshot": (str, "text"),
        "previous": ((str, type(None)), "text or null"),
        "problem": (str, "text"),
        "widens_exposure": (bool, "true or false"),
        "changes": (list, "an array"),
    }
    problems = [
        Problem(None, name, f"expected {words}")
        for name, (kind, words) in expected.items()
        if not isinstance(data, dict) or not isinstance(data.get(name), kind)
    ]
    rows = data.get("changes") if isinstance(data, dict) else None
    problems += [
        Problem(None, f"changes[{i}]", f"expected an object with {', '.join(COLUMNS)}")
        for i, row in enumerate(rows if isinstance(rows, list) else [])
        if not isinstance(row, dict) or set(row) != set(COLUMNS)
    ]
    if problems:
        raise DataError(path, problems)
    return SincePrevious(
        data["snapshot"], data["previous"], pd.DataFrame(rows, columns=COLUMNS), data["problem"]
    )


def since_previous_line(since: SincePrevious) -> str:
    """One line about the changes since the previous snapshot, for the terminal and reports."""
    if since.previous is None:
        return f"first snapshot ({since.snapshot}): no earlier snapshot to compare with"
    if since.problem:
        return f"previous snapshot {since.previous} {since.problem}"
    n = len(since.changes)
    changes = formats.counted(n, "change")
    widened = "WIDENED" if since.widens else "not widened"
    span = f"{since.previous} to {since.snapshot}"
    return f"since the previous snapshot ({span}): {changes}; exposure {widened}"
