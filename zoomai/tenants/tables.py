"""Tenant tables (accounts, groups, Phone sites, users, settings with locks, usage), stored as
one Parquet file per table in a tenant folder, validated with pandera on load and save.

Every table carries `tenant_id`, so tables of several tenants concatenate into one.

Usage may instead be stored partitioned by month, for tenants larger than memory: a folder
usage/ of Hive partitions usage/month=YYYY-MM/part-NNNNN-NNN.parquet (any Parquet reader takes
it, e.g. DuckDB's read_parquet with hive_partitioning). Every activity's rows lie in one file,
in the partition of the month of its first use, so people are counted once per activity when
the files are read one at a time (`usage_parts`); files hold at most PARTITION_ROWS rows
(plus the rest of the last activity).
"""

from __future__ import annotations

import argparse
import functools
import re
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow
import pyarrow.parquet as pq
from pandera.typing import Series

from zoomai.core.atomic import os_error_text, replace_folder
from zoomai.core.errors import DataError, Problem, ZoomaiError, ZoomaiWarning, display
from zoomai.core.paths import data_dir
from zoomai.facts.regions import hosting_regions
from zoomai.facts.registry import LEVELS, SPECS, parse_value

PLATFORMS = ["desktop", "mobile", "web"]
ROLES = ["owner", "admin", "member"]
# Usage provenance: from Zoom's APIs, from a stated usage model applied to real users, or from a
# bundled simulated tenant.
USAGE_SOURCES = ["observed", "estimated", "simulated"]
_ID = r"^[A-Za-z0-9_.:@-]+$"


def region_arg(text: str) -> str:
    """A hosting-region command-line argument: a code of data/hosting_regions.yaml, any case."""
    regions = hosting_regions()
    if text.upper() not in regions:
        raise argparse.ArgumentTypeError(
            f"expected a hosting region, one of {', '.join(regions)}; got {text!r}"
        )
    return text.upper()


# Model routing (AI Companion deployment option): federated, Zoom-hosted Models Plus, ZMO.
ROUTINGS = ("federated", "zm_plus", "zmo")


def tenant_routing(info: pd.Series) -> str:
    """A tenant's model routing: its optional `routing` column where set (tables written before
    it existed have none), else zmo when zmo_enabled, federated otherwise."""
    routing = info.get("routing")
    if routing is not None and not pd.isna(routing):
        return str(routing)
    return "zmo" if bool(info["zmo_enabled"]) else "federated"


class Tenants(pa.DataFrameModel):
    """One row per tenant (a Zoom account)."""

    tenant_id: Series[str] = pa.Field(str_matches=_ID, unique=True, description="Account id.")
    name: Series[str] = pa.Field(description="Display name (free text; shown escaped in reports).")
    hosting_region: Series[str] = pa.Field(
        str_matches=r"^[A-Z]{2}$", description="Hosting region code: US, EU, UK, CA, AU, JP, IN, ..."
    )
    vertical: Series[str] = pa.Field(description="Industry, e.g. healthcare, technology.")
    zmo_enabled: Series[bool] = pa.Field(description="Zoom-hosted Models Only enabled through Zoom support.")
    zdr_enabled: Series[bool] = pa.Field(description="Zero Data Retention enabled through Zoom support.")
    routing: Series[pd.StringDtype] | None = pa.Field(
        nullable=True,
        isin=list(ROUTINGS),
        description="Model routing (federated, zm_plus, zmo); optional: empty or absent means zmo "
        "when zmo_enabled, else federated (tables written before ZM+ existed).",
    )
    customer_managed_key: Series[bool] = pa.Field(description="Customer Managed Key in use.")
    source: Series[str] = pa.Field(isin=["simulated", "imported"], description="How the data was made.")

    class Config:
        strict = True


class Groups(pa.DataFrameModel):
    """One row per user group."""

    tenant_id: Series[str] = pa.Field(str_matches=_ID)
    group_id: Series[str] = pa.Field(str_matches=_ID, description="Group id.")
    name: Series[str] = pa.Field(description="Group name.")
    phone_policy_active: Series[bool] = pa.Field(
        description="The group has an activated Zoom Phone policy (site policies then skip its members)."
    )

    class Config:
        strict = True
        unique = ["tenant_id", "group_id"]


class Sites(pa.DataFrameModel):
    """One row per Zoom Phone site."""

    tenant_id: Series[str] = pa.Field(str_matches=_ID)
    site_id: Series[str] = pa.Field(str_matches=_ID, description="Phone site id.")
    name: Series[str] = pa.Field(description="Site name.")
    country: Series[pd.StringDtype] = pa.Field(nullable=True, description="ISO country code, if known.")

    class Config:
        strict = True
        unique = ["tenant_id", "site_id"]


class Users(pa.DataFrameModel):
    """One row per user of the account."""

    tenant_id: Series[str] = pa.Field(str_matches=_ID)
    user_id: Series[str] = pa.Field(str_matches=_ID, description="User id.")
    email: Series[pd.StringDtype] = pa.Field(nullable=True, description="Email, if known.")
    group_id: Series[pd.StringDtype] = pa.Field(nullable=True, description="Home group; empty if none.")
    site_id: Series[pd.StringDtype] = pa.Field(nullable=True, description="Phone site; empty if no Phone.")
    client_version: Series[pd.StringDtype] = pa.Field(
        nullable=True, str_matches=r"^\d+(\.\d+){1,3}$", description="Zoom client version, e.g. 5.17.0."
    )
    platform: Series[pd.CategoricalDtype] = pa.Field(isin=PLATFORMS, description="desktop, mobile or web.")
    role: Series[pd.CategoricalDtype] = pa.Field(isin=ROLES, description="owner, admin or member.")

    class Config:
        strict = True
        unique = ["tenant_id", "user_id"]


class Settings(pa.DataFrameModel):
    """One row per setting (or lock) at one level of the hierarchy."""

    tenant_id: Series[str] = pa.Field(str_matches=_ID)
    level: Series[pd.CategoricalDtype] = pa.Field(
        isin=list(LEVELS), description="account, group, site or user."
    )
    scope_id: Series[str] = pa.Field(description="Id of the account, group, site or user the row belongs to.")
    key: Series[str] = pa.Field(description="Registry key, or an object path a lock applies to.")
    value: Series[pd.StringDtype] = pa.Field(
        nullable=True, description="Canonical text; empty for a lock only."
    )
    locked: Series[bool] = pa.Field(description="Locked at this level: lower levels cannot change it.")

    class Config:
        strict = True
        unique = ["tenant_id", "level", "scope_id", "key"]


class Usage(pa.DataFrameModel):
    """One row per use of an AI Companion feature (several rows may share an activity)."""

    tenant_id: Series[pd.CategoricalDtype] = pa.Field()
    activity_id: Series[int] = pa.Field(
        ge=0, description="The meeting, call, thread, ... the use belongs to."
    )
    user_id: Series[pd.CategoricalDtype] = pa.Field(description="The user who hosted or invoked it.")
    product: Series[pd.CategoricalDtype] = pa.Field(description="Product, as in the feature matrix.")
    feature_id: Series[pd.CategoricalDtype] = pa.Field(description="Feature matrix feature_id.")
    time: Series[pd.DatetimeTZDtype] = pa.Field(
        dtype_kwargs={"unit": "ms", "tz": "UTC"}, description="When it happened (UTC)."
    )
    internal_participants: Series[pd.Int32Dtype] = pa.Field(
        ge=0, description="People of the organisation involved, the user included."
    )
    external_participants: Series[pd.Int32Dtype] = pa.Field(
        ge=0, description="Guests, external callers, SMS counterparts, event attendees."
    )
    output_shared: Series[bool] = pa.Field(
        description="The output left the user: posted to chat or whiteboard, emailed, used to schedule, "
        "published."
    )
    recorded: Series[bool] = pa.Field(description="The meeting was recorded to the cloud.")
    source: Series[pd.CategoricalDtype] = pa.Field(
        isin=USAGE_SOURCES,
        description="Provenance: observed (Zoom's APIs), estimated (a usage model) or simulated.",
    )

    class Config:
        strict = True


TABLES: dict[str, type[pa.DataFrameModel]] = {
    "tenants": Tenants,
    "groups": Groups,
    "sites": Sites,
    "users": Users,
    "settings": Settings,
    "usage": Usage,
}


@dataclass
class Tenant:
    """All tables of one tenant (or of several, concatenated)."""

    tenants: pd.DataFrame
    groups: pd.DataFrame
    sites: pd.DataFrame
    users: pd.DataFrame
    settings: pd.DataFrame
    usage: pd.DataFrame

    @property
    def tenant_id(self) -> str:
        ids = self.tenants["tenant_id"].tolist()
        if len(ids) != 1:
            raise ValueError(f"expected one tenant, found {len(ids)}")
        return ids[0]

    @property
    def info(self) -> pd.Series:
        """The tenant's row (name, hosting region, ZMO/ZDR, ...)."""
        return self.tenants.iloc[0]


_DTYPES: dict[str, dict[str, object]] = {
    "tenants": {
        "tenant_id": str,
        "name": str,
        "hosting_region": str,
        "vertical": str,
        "zmo_enabled": bool,
        "zdr_enabled": bool,
        "customer_managed_key": bool,
        "source": str,
    },
    "groups": {"tenant_id": str, "group_id": str, "name": str, "phone_policy_active": bool},
    "sites": {"tenant_id": str, "site_id": str, "name": str, "country": "string"},
    "users": {
        "tenant_id": str,
        "user_id": str,
        "email": "string",
        "group_id": "string",
        "site_id": "string",
        "client_version": "string",
        "platform": pd.CategoricalDtype(PLATFORMS),
        "role": pd.CategoricalDtype(ROLES),
    },
    "settings": {
        "tenant_id": str,
        "level": pd.CategoricalDtype(list(LEVELS)),
        "scope_id": str,
        "key": str,
        "value": "string",
        "locked": bool,
    },
    "usage": {
        "tenant_id": "category",
        "activity_id": "int64",
        "user_id": "category",
        "product": "category",
        "feature_id": "category",
        "time": "datetime64[ms, UTC]",
        "internal_participants": "Int32",
        "external_participants": "Int32",
        "output_shared": bool,
        "recorded": bool,
        "source": pd.CategoricalDtype(USAGE_SOURCES),
    },
}


def coerce(name: str, rows: pd.DataFrame | list[dict]) -> pd.DataFrame:
    """Rows (a DataFrame or a list of dicts) -> the table's columns in order with its dtypes."""
    dtypes = _DTYPES[name]
    frame = pd.DataFrame(rows, columns=list(dtypes)) if isinstance(rows, list) else rows[list(dtypes)]
    return frame.astype(dtypes).reset_index(drop=True)


def build(**tables: pd.DataFrame | list[dict]) -> Tenant:
    """A validated Tenant from tables given as DataFrames or lists of dicts (missing = empty)."""
    return validate(Tenant(**{name: coerce(name, tables.get(name, [])) for name in TABLES}))


@functools.cache
def _schema(name: str) -> tuple[pa.DataFrameSchema, tuple[str, ...]]:
    """The table's pandera schema and its categorical columns without fixed categories, whose
    dtype is checked in `_schema_problems` instead: pandera reads every category of the data
    to check it (a quarter of a second per usage part of a 250,000-user tenant)."""
    schema = TABLES[name].to_schema()
    loose = tuple(
        c
        for c, column in schema.columns.items()
        if isinstance(column.dtype, pa.dtypes.Category) and column.dtype.categories is None
    )
    return schema.update_columns({c: {"dtype": None} for c in loose}), loose


def _schema_problems(name: str, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem]]:
    """The table validated with its pandera model, and its problems (at most 20)."""
    schema, loose = _schema(name)
    problems = [
        Problem(None, f"{name}.{c}", f"dtype('category'), got {str(frame[c].dtype)!r}")
        for c in loose
        if c in frame and not isinstance(frame[c].dtype, pd.CategoricalDtype)
    ]
    try:
        frame = schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        for _, row in exc.failure_cases.head(20).iterrows():
            if row["check"] == "column_in_dataframe":  # reported on the table, naming the column
                problems.append(Problem(None, f"{name}.{row['failure_case']}", "required column is missing"))
            else:
                problems.append(
                    Problem(None, f"{name}.{row['column']}", f"{row['check']}, got {row['failure_case']!r}")
                )
    return frame, problems[:20]


def validate(tenant: Tenant, where: Path | str = "<memory>") -> Tenant:
    """Validate every table and the references between them; DataError on failure."""
    problems: list[Problem] = []
    out = {}
    for name in TABLES:
        out[name], found = _schema_problems(name, getattr(tenant, name))
        problems += found
    if not problems:
        problems = _reference_problems(Tenant(**out)) + _value_problems(Tenant(**out))
    if problems:
        raise DataError(where, problems)
    return Tenant(**out)


def ids(values: Iterable) -> pd.Index:
    """Known values (ids, categories) as an Index to look values up in (`_unknown`); build it
    once for many lookups: its hash table is kept."""
    return pd.Index(pd.unique(np.asarray(values, dtype=object)))


def _unknown(values: pd.Series, known: pd.Index) -> list[str]:
    """The distinct non-null values not in `known` (see `ids`), sorted, as text; for a
    categorical only the categories in use are looked up (fast on tens of millions of usage
    rows)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = np.unique(values.cat.codes.to_numpy())
        used = values.cat.categories[codes[codes >= 0]]
    else:
        used = pd.Index(values.dropna().unique())
    used = used.astype(object)
    return sorted(str(v) for v in used[known.get_indexer(used) < 0])


def _reference_problems(t: Tenant) -> list[Problem]:
    problems = []
    tenant_ids, group_ids, site_ids, user_ids = (
        ids(t.tenants["tenant_id"]),
        ids(t.groups["group_id"]),
        ids(t.sites["site_id"]),
        ids(t.users["user_id"]),
    )

    def refs(table: str, column: str, values: pd.Series, known: pd.Index) -> None:
        bad = _unknown(values, known)
        if bad:
            problems.append(Problem(None, f"{table}.{column}", f"unknown ids {bad[:5]}"))

    for name in ("groups", "sites", "users", "settings", "usage"):
        refs(name, "tenant_id", getattr(t, name)["tenant_id"], tenant_ids)
    refs("users", "group_id", t.users["group_id"], group_ids)
    refs("users", "site_id", t.users["site_id"], site_ids)
    refs("usage", "user_id", t.usage["user_id"], user_ids)
    scopes = {"account": tenant_ids, "group": group_ids, "site": site_ids, "user": user_ids}
    for level, known in scopes.items():
        refs(
            "settings", f"scope_id ({level})", t.settings.loc[t.settings["level"] == level, "scope_id"], known
        )
    return problems


# Every proper prefix of a registry key: the object paths a lock-only row may name.
_OBJECT_PATHS = frozenset(k.rsplit(".", n)[0] for k in SPECS for n in range(1, k.count(".") + 1))


def _value_problems(t: Tenant) -> list[Problem]:
    """Hosting regions must be known codes; a settings value must fit its registry key (the
    first row of each wrong (key, value) pair is named, rows counted from 1)."""
    problems = []
    if "routing" in t.tenants:
        routing = t.tenants["routing"]
        clash = routing.notna() & ((routing == "zmo") != t.tenants["zmo_enabled"])
        for row in t.tenants.index[clash.to_numpy(dtype=bool)]:
            problems.append(
                Problem(
                    None,
                    "tenants.routing",
                    f"row {row + 1}: routing {routing[row]!r} contradicts "
                    f"zmo_enabled={t.tenants['zmo_enabled'][row]}",
                )
            )
    regions = hosting_regions()
    for region in sorted(set(t.tenants["hosting_region"]) - set(regions)):
        problems.append(
            Problem(None, "tenants.hosting_region", f"expected one of {', '.join(regions)}, got {region!r}")
        )
    settings = t.settings.reset_index(drop=True)
    rows = settings.loc[settings["value"].notna() & settings["key"].isin(list(SPECS)), ["key", "value"]]
    for row, (key, value) in rows.drop_duplicates().iterrows():
        try:
            parse_value(SPECS[key], value)
        except ValueError as exc:
            problems.append(Problem(None, "settings.value", f"row {row + 1}: {exc}"))
    return problems


def unknown_keys(settings: pd.DataFrame) -> list[str]:
    """Settings keys that are neither registry keys nor object paths a lock may name (fields
    of a newer API): effective settings ignore them."""
    keys = set(settings["key"].astype(str))
    return sorted(k for k in keys if k not in SPECS and k not in _OBJECT_PATHS)


def is_tenant_folder(path: Path) -> bool:
    """A folder zoomai wrote as a tenant (simulate, import-settings): it holds tenants.parquet."""
    return (path / "tenants.parquet").is_file()


USAGE_PARTITIONS = "usage"  # the folder of usage partitions in a tenant folder
PARTITION_ROWS = 1_000_000  # rows per partition file, at most (whole activities)


def save_tenant(
    tenant: Tenant,
    folder: Path | str,
    extra_files: dict[str, str | Callable[[], str]] | None = None,
    partitioned: bool = False,
    usage_parts: Iterable[pd.DataFrame] | None = None,
) -> Path:
    """Validate, then write one Parquet file per table (plus `extra_files`, name -> text, or a
    function giving the text once the tables are written) into `folder`, atomically.
    `partitioned`: usage as monthly partitions (see the module doc); `usage_parts`: the usage
    given in parts of whole activities (each validated as it comes, for tenants larger than
    memory; `tenant.usage` must then be empty), partitioned.

    The tables are written to a temporary folder beside `folder`, which then replaces it, so a
    failure never leaves a half-written tenant; only an empty folder or a tenant folder is
    replaced (ZoomaiError otherwise). Same data gives byte-identical files.
    """
    folder = Path(folder)
    tenant = validate(tenant)
    if usage_parts is not None and len(tenant.usage):
        raise ZoomaiError("save_tenant: usage given both in the tenant and in parts")
    with replace_folder(folder, is_tenant_folder, what="tenant folder") as tmp:
        for name in TABLES:
            if name == "usage" and (partitioned or usage_parts is not None):
                known = usage_ids(tenant)
                parts = (
                    (validate_usage(p, tenant, known=known) for p in usage_parts)
                    if usage_parts
                    else [tenant.usage]
                )
                _write_partitions(parts, tmp / USAGE_PARTITIONS)
                continue
            frame = getattr(tenant, name).reset_index(drop=True)
            table = pa_arrow.Table.from_pandas(frame, preserve_index=False)
            pq.write_table(table, tmp / f"{name}.parquet", compression="zstd")
        for name, text in (extra_files or {}).items():
            (tmp / name).write_text(text if isinstance(text, str) else text(), encoding="utf-8")
    return folder


def _write_partitions(parts: Iterable[pd.DataFrame], root: Path) -> None:
    """Write usage parts (whole activities each) as usage/month=YYYY-MM/part-<part>-<file>.parquet:
    each activity in the month of its first use, rows ordered by activity (stably), files cut
    between activities after PARTITION_ROWS rows."""
    root.mkdir()
    for p, part in enumerate(parts):
        if part.empty:
            continue
        first = part.groupby("activity_id", sort=False, observed=True)["time"].transform("min")
        month = first.dt.strftime("%Y-%m").to_numpy()
        for m in sorted(set(month)):
            rows = part[month == m].sort_values("activity_id", kind="stable").reset_index(drop=True)
            activity = rows["activity_id"].to_numpy()
            starts = np.flatnonzero(np.r_[True, activity[1:] != activity[:-1]])
            file_of = starts // PARTITION_ROWS  # an activity goes to the file where it starts
            cuts = [*starts[np.r_[True, file_of[1:] != file_of[:-1]]].tolist(), len(rows)]
            (root / f"month={m}").mkdir(exist_ok=True)
            for k, (a, b) in enumerate(zip(cuts[:-1], cuts[1:], strict=True)):
                table = pa_arrow.Table.from_pandas(rows.iloc[a:b], preserve_index=False)
                path = root / f"month={m}" / f"part-{p:05d}-{k:03d}.parquet"
                pq.write_table(table, path, compression="zstd")


def partition_files(folder: Path) -> list[Path]:
    """The usage partition files of a tenant folder, in order (month, then part)."""
    root = folder / USAGE_PARTITIONS
    if not root.is_dir():
        return []
    return sorted(root.glob("month=*/*.parquet"))


def usage_ids(tenant: Tenant) -> dict[str, pd.Index]:
    """The ids a tenant's usage may name (see `ids`), per usage column: built once for all
    the parts of its usage."""
    return {"tenant_id": ids(tenant.tenants["tenant_id"]), "user_id": ids(tenant.users["user_id"])}


def validate_usage(
    usage: pd.DataFrame,
    tenant: Tenant,
    where: Path | str = "<memory>",
    known: dict[str, pd.Index] | None = None,
) -> pd.DataFrame:
    """A part of a tenant's usage validated on its own: schema, and tenant and user ids of
    `tenant` (whose own tables are valid; `known`: its usage_ids, if already built); DataError
    on failure."""
    frame, problems = _schema_problems("usage", usage)
    if not problems:
        for column, column_ids in (known or usage_ids(tenant)).items():
            bad = _unknown(frame[column], column_ids)
            if bad:
                problems.append(Problem(None, f"usage.{column}", f"unknown ids {bad[:5]}"))
    if problems:
        raise DataError(where, problems)
    return frame


def tenants_dir() -> Path:
    return data_dir() / "tenants"


BUNDLED_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")  # a plain name: no '/', never '.' or '..'


def bundled_tenant(spec: str) -> Path | None:
    """data/tenants/<spec> if `spec` is a plain name (never '..' or a path) of a bundled tenant."""
    if not BUNDLED_ID.match(spec) or ".." in spec:
        return None
    folder = tenants_dir() / spec
    return folder if folder.is_dir() else None


def resolve_tenant_path(spec: str | Path) -> Path:
    """A bundled tenant id (data/tenants/<id>) or a folder path -> the tenant folder.

    Only a plain name is looked up among the bundled tenants, so `..` or `a/../../b` never
    reaches outside data/tenants; a path names a folder only as given."""
    path = Path(spec)
    if path.is_dir():
        return path
    bundled = bundled_tenant(str(spec))
    if bundled is not None:
        return bundled
    known = sorted(p.name for p in tenants_dir().glob("*") if p.is_dir()) if tenants_dir().is_dir() else []
    raise ZoomaiError(
        f"{spec}: not a tenant folder nor a bundled tenant id; bundled tenants: {', '.join(known)}"
    )


def _check_categories(path: Path, column: str, values: pd.Series, dtype: object) -> None:
    """DataError if `values` hold a value outside the fixed categories of `dtype`."""
    if not isinstance(dtype, pd.CategoricalDtype) or dtype.categories is None:
        return
    bad = _unknown(values, ids(dtype.categories))
    if bad:
        known = ", ".join(dtype.categories)
        raise DataError(path, [Problem(None, column, f"expected one of {known}, got {bad[0]!r}")])


def _read_table(path: Path, name: str, paths: list[Path] | None = None) -> pd.DataFrame:
    """One table from a Parquet file (or from the files `paths`, as one table read from the
    folder `path`), with its dtypes' categories; DataError naming the file if it cannot be read."""
    if paths is None:
        table = _read_arrow(path, lambda: pq.read_table(path))
    elif paths:
        parts = [_read_arrow(p, lambda p=p: pq.read_table(p)) for p in paths]
        table = _read_arrow(path, lambda: pa_arrow.concat_tables(parts))
    else:
        return coerce(name, [])
    frame = _read_arrow(path, table.to_pandas)
    # Parquet does not keep the categories of an empty categorical column: restore them
    # (a value outside fixed categories would silently become empty: refused first).
    categorical = {
        c: t
        for c, t in _DTYPES[name].items()
        if c in frame and (t == "category" or isinstance(t, pd.CategoricalDtype))
    }
    for column, dtype in categorical.items():
        _check_categories(path, column, frame[column], dtype)
    return _read_arrow(path, lambda: frame.astype(categorical))


def _read_arrow(path: Path, read: Callable[[], object]):
    """read(), with the errors of reading Parquet as a DataError naming `path`."""
    try:
        return read()
    except OSError as exc:
        raise DataError(path, [Problem(None, None, f"cannot read the file: {os_error_text(exc)}")]) from None
    except (pa_arrow.ArrowException, ValueError, TypeError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(path, [Problem(None, None, f"not a readable Parquet table: {reason}")]) from None


def load_tenant(spec: str | Path, usage: bool = True) -> Tenant:
    """Read and validate one tenant folder (or bundled tenant id); its usage from usage.parquet
    or from monthly partitions (usage/). `usage=False`: every table but the usage, which is
    left empty (read it part by part with `usage_parts`)."""
    folder = resolve_tenant_path(spec)
    frames = {}
    for name in TABLES:
        path = folder / f"{name}.parquet"
        if name == "usage" and not path.is_file() and (folder / USAGE_PARTITIONS).is_dir():
            path = folder / USAGE_PARTITIONS
            frames[name] = _read_table(path, name, partition_files(folder) if usage else [])
            continue
        if not path.is_file():
            raise DataError(path, [Problem(None, None, f"missing table {name}.parquet in the tenant folder")])
        frames[name] = _read_table(path, name) if usage or name != "usage" else coerce("usage", [])
    tenant = validate(Tenant(**frames), folder)
    unknown = unknown_keys(tenant.settings)
    if unknown:
        shown = ", ".join(unknown[:10]) + (f" and {len(unknown) - 10} more" if len(unknown) > 10 else "")
        warnings.warn(
            f"{display(folder / 'settings.parquet')}: {len(unknown)} setting keys not in the registry "
            f"(a newer API?), ignored: {shown}",
            ZoomaiWarning,
            stacklevel=2,
        )
    return tenant


def usage_parts(spec: str | Path, tenant: Tenant) -> Iterator[pd.DataFrame]:
    """The usage of a tenant folder one part of whole activities at a time (a partition file,
    or usage.parquet whole), each validated against `tenant` (load_tenant(spec, usage=False)).
    An activity whose first use is not in its partition's month is refused: it would be
    split between partitions."""
    folder = resolve_tenant_path(spec)
    files = partition_files(folder)
    known = usage_ids(tenant)
    if not (folder / USAGE_PARTITIONS).is_dir():
        yield validate_usage(
            _read_table(folder / "usage.parquet", "usage"), tenant, folder / "usage.parquet", known
        )
        return
    for path in files:
        part = validate_usage(_read_table(path, "usage"), tenant, path, known)
        month = path.parent.name.removeprefix("month=")
        try:
            start = pd.Timestamp(f"{month}-01", tz="UTC")
        except ValueError:
            raise DataError(path, [Problem(None, None, "expected a folder month=YYYY-MM")]) from None
        first = part.groupby("activity_id")["time"].min()
        outside = (first < start) | (first >= start + pd.DateOffset(months=1))
        if outside.any():
            activity = first.index[outside.to_numpy()][0]
            began = f"{first[activity]:%Y-%m}"
            problem = Problem(None, "usage.time", f"activity {activity} began in {began}, not in {month}")
            raise DataError(path, [problem])
        yield part


def load_tenants(path: str | Path | None = None) -> dict[str, Tenant]:
    """All tenants under `path` (default: the bundled data/tenants), by tenant id.

    `path` may be one tenant folder or a folder of tenant folders.
    """
    root = Path(path) if path else tenants_dir()
    if (root / "tenants.parquet").exists():
        folders = [root]
    else:
        folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    out = {}
    for folder in folders:
        tenant = load_tenant(folder)
        out[tenant.tenant_id] = tenant
    return out


def concat(tenants: list[Tenant]) -> Tenant:
    """Several tenants as one Tenant whose tables hold all their rows."""
    return Tenant(
        **{
            f.name: pd.concat([getattr(t, f.name) for t in tenants], ignore_index=True)
            for f in fields(Tenant)
        }
    )
