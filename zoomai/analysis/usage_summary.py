"""Usage summarised once per tenant, so that many configurations are weighed without going
over the usage rows again (what-if, compare, tenants stored in partitions).

Exposure (zoomai.analysis.exposure) needs only two things from the usage rows:

- records: the number of uses per usage key (setting group, then KEY_COLUMNS);
- people: each activity's entries (usage key, internal and external participants).

A configuration's setting groups are unions of user classes (users with the same flow
settings under every configuration to be weighed), so both are gathered per class once,
here, and projected onto the groups of each configuration (`UsageSummary.project`).
Activities with the same entries are kept once, with how many there are (the weight).
Summaries of disjoint sets of whole activities add up (`merge`): a tenant stored in
partitions is summarised partition by partition.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd

from zoomai.core.errors import ZoomaiError
from zoomai.tenants.tables import USAGE_SOURCES, Tenant

# The columns of a use that, with the user's setting group, make its usage key (feature_id
# first: figures per feature sum over the others). Adding a column here and its values in
# key_levels splits the usage keys by it.
KEY_COLUMNS = ("feature_id", "output_shared")
MS_PER_DAY = 86_400_000


def key_levels(features: list[str]) -> dict[str, list]:
    """The values of each KEY_COLUMNS column, in code order."""
    return {"feature_id": list(features), "output_shared": [False, True]}


def key_size(features: list[str]) -> int:
    """Usage keys per setting group: usage key = group * key_size + key_code."""
    return int(np.prod([len(v) for v in key_levels(features).values()]))


def _positions(values: pd.Series, levels: list) -> np.ndarray:
    """The position of each value in `levels` (-1 where it is not one)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        at = pd.Index(levels).get_indexer(values.cat.categories)
        codes = values.cat.codes.to_numpy()
        return np.where(codes >= 0, at[codes], -1).astype(np.int64)
    if levels == [False, True] and values.dtype == bool:
        return values.to_numpy().astype(np.int64)
    return pd.Index(levels).get_indexer(values).astype(np.int64)


def key_code(usage: pd.DataFrame, features: list[str], tenant_id: str) -> np.ndarray:
    """Each row's code of its KEY_COLUMNS values (mixed radix in KEY_COLUMNS order)."""
    code = np.zeros(len(usage), dtype=np.int64)
    for column, levels in key_levels(features).items():
        at = _positions(usage[column], levels)
        if (at < 0).any():
            raise ZoomaiError(f"tenant {tenant_id}: usage names {column} values that do not exist")
        code = code * len(levels) + at
    return code


def user_positions(usage: pd.DataFrame, user_ids: pd.Series | pd.Index, tenant_id: str) -> np.ndarray:
    """Each usage row's position in `user_ids` (the users table, in order; an Index keeps its
    hash table from one call to the next)."""
    users = pd.Categorical(usage["user_id"])
    at = (user_ids if isinstance(user_ids, pd.Index) else pd.Index(user_ids)).get_indexer(users.categories)
    if (at < 0).any() or (users.codes < 0).any():
        raise ZoomaiError(f"tenant {tenant_id}: usage names users or features that do not exist")
    return at[users.codes]


def participants(usage: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Internal and external participants of each row (missing counts as 0)."""
    return tuple(
        usage[c].to_numpy(dtype=np.int64, na_value=0)
        for c in ("internal_participants", "external_participants")
    )


@dataclass
class Units:
    """Uses (or summarised entries) for counting people: `unit` (people count once per unit:
    an activity within a setting group), `key` (usage key), `internal`/`external`
    participants, `weight` (how many units each stands for; None: one)."""

    unit: np.ndarray
    key: np.ndarray
    internal: np.ndarray
    external: np.ndarray
    weight: np.ndarray | None = None


@dataclass
class UsageSummary:
    """The usage of one tenant per user class.

    `classes`: each user's class (users table order); class key = class * key_size + key
    code. `uses`: uses per class key. Signatures (distinct activities): `weight` (activities
    with it), and their entries `entry_sig`, `entry_key` (class key), `entry_internal`,
    `entry_external`. `day_uses`: uses per (class key, UTC day number), if gathered. `rows`:
    usage rows summarised. `sources`: the usage sources of those rows (USAGE_SOURCES order)."""

    features: list[str]
    classes: np.ndarray
    uses: np.ndarray
    weight: np.ndarray
    entry_sig: np.ndarray
    entry_key: np.ndarray
    entry_internal: np.ndarray
    entry_external: np.ndarray
    day_uses: pd.Series | None
    rows: int
    sources: tuple[str, ...]

    @property
    def n_classes(self) -> int:
        return int(self.classes.max(initial=-1)) + 1

    def _group_of_class(self, user_group: np.ndarray) -> np.ndarray:
        gmap = np.zeros(self.n_classes, dtype=np.int64)
        gmap[self.classes] = user_group
        if not np.array_equal(gmap[self.classes], user_group):
            raise ZoomaiError("the setting groups are not unions of the summary's user classes")
        return gmap

    def _key(self, class_key: np.ndarray, gmap: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        size = key_size(self.features)
        group = gmap[class_key // size]
        return group * size + class_key % size, group

    def project(self, user_group: np.ndarray, n_groups: int) -> tuple[np.ndarray, Units]:
        """Uses per usage key, and the entries as Units, for a scenario whose users are in
        setting groups `user_group` (a function of the user classes)."""
        gmap = self._group_of_class(user_group)
        size = key_size(self.features)
        key, _ = self._key(np.arange(len(self.uses)), gmap)
        counts = np.bincount(key, weights=self.uses, minlength=n_groups * size).astype(np.int64)
        entry_key, group = self._key(self.entry_key, gmap)
        units = Units(
            unit=self.entry_sig * n_groups + group,
            key=entry_key,
            internal=self.entry_internal,
            external=self.entry_external,
            weight=self.weight[self.entry_sig],
        )
        return counts, units

    def created(self, user_group: np.ndarray, n_groups: int) -> tuple[int, np.ndarray]:
        """The first UTC day number and uses per (usage key, day from it): (keys, days)."""
        if self.day_uses is None:
            raise ZoomaiError("the usage summary was made without days")
        gmap = self._group_of_class(user_group)
        class_key = self.day_uses.index.get_level_values(0).to_numpy()
        day = self.day_uses.index.get_level_values(1).to_numpy()
        key, _ = self._key(class_key, gmap)
        first = int(day.min())
        n_days = int(day.max()) - first + 1
        created = np.bincount(
            key * n_days + day - first,
            weights=self.day_uses.to_numpy(),
            minlength=n_groups * key_size(self.features) * n_days,
        )
        return first, created.astype(np.int64).reshape(-1, n_days)


def summarise(
    usage: pd.DataFrame,
    classes: np.ndarray,
    user_ids: pd.Series | pd.Index,
    features: list[str],
    tenant_id: str,
    days: bool = False,
) -> UsageSummary:
    """The summary of one tenant's usage rows (whole activities). `classes`: each user's class,
    in the order of `user_ids` (the users table); `days`: gather uses per day too (retention)."""
    classes = np.asarray(classes, dtype=np.int64)
    size = key_size(features)
    cls = classes[user_positions(usage, user_ids, tenant_id)]
    class_key = cls * size + key_code(usage, features, tenant_id)
    n_keys = (int(classes.max(initial=-1)) + 1) * size
    internal, external = participants(usage)
    activity = usage["activity_id"].to_numpy(dtype=np.int64)
    weight, entries = _signatures(activity, class_key, internal, external)
    day_uses = _day_uses(usage, class_key, n_keys) if days else None
    return UsageSummary(
        features=list(features),
        classes=classes,
        uses=np.bincount(class_key, minlength=n_keys).astype(np.int64),
        weight=weight,
        entry_sig=entries[0],
        entry_key=entries[1],
        entry_internal=entries[2],
        entry_external=entries[3],
        day_uses=day_uses,
        rows=len(usage),
        sources=tuple(s for s in USAGE_SOURCES if (usage["source"] == s).any()),
    )


class Summariser(Protocol):
    """Makes the usage summary of one tenant (its users in `classes`, users table order)."""

    def __call__(
        self, tenant: Tenant, classes: np.ndarray, features: list[str], days: bool = False
    ) -> UsageSummary: ...


def summary_from_rows(
    tenant: Tenant, classes: np.ndarray, features: list[str], days: bool = False
) -> UsageSummary:
    """The Summariser of a tenant whose usage is in memory (tenant.usage)."""
    return summarise(tenant.usage, classes, tenant.users["user_id"], features, tenant.tenant_id, days)


def _day_uses(usage: pd.DataFrame, class_key: np.ndarray, n_keys: int) -> pd.Series:
    """Uses per (class key, UTC day number) where there are any (counted densely over the
    days the rows span: a partition spans a month)."""
    day = pd.DatetimeIndex(usage["time"]).as_unit("ms").asi8 // MS_PER_DAY
    first = int(day.min(initial=0))
    span = int(day.max(initial=0)) - first + 1
    counts = np.bincount(class_key * span + (day - first), minlength=n_keys * span)
    used = np.flatnonzero(counts)
    return pd.Series(counts[used], index=pd.MultiIndex.from_arrays([used // span, used % span + first]))


def _signatures(
    activity: np.ndarray, key: np.ndarray, internal: np.ndarray, external: np.ndarray
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Distinct activities: how many activities have each signature (the sequence of their
    rows' (key, internal, external), in row order) and the entries of each signature
    (signature, key, internal, external), signatures in order of first appearance. Identical
    sequences are found by factorising them one position at a time (activities have few rows)."""
    step = np.diff(activity)
    if (step < 0).any():
        order = np.argsort(activity, kind="stable")
        activity, key, internal, external = (x[order] for x in (activity, key, internal, external))
        step = np.diff(activity)
    n = len(activity)
    starts = np.flatnonzero(np.r_[True, step != 0]) if n else np.zeros(0, np.int64)
    length = np.diff(np.r_[starts, n])
    entry, n_entries = _entry_codes(key, internal, external, n)
    sig = np.zeros(len(starts), dtype=np.int64)
    top = 0
    for k in range(int(length.max(initial=0))):
        live = np.flatnonzero(length > k) if k else slice(None)
        codes, uniques = pd.factorize(sig[live] * n_entries + entry[starts[live] + k])
        sig[live] = codes + top  # new codes, apart from those of shorter activities
        top += len(uniques)
    weight = np.bincount(sig, minlength=top)
    first = np.zeros(top, dtype=np.int64)
    first[sig[::-1]] = np.arange(len(sig) - 1, -1, -1)  # the last write wins: first activities
    used = np.flatnonzero(weight)
    used = used[np.argsort(first[used], kind="stable")]  # in order of first appearance
    first, weight = first[used], weight[used]
    lengths = length[first]
    offsets = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    row = np.repeat(starts[first], lengths) + offsets
    entry_sig = np.repeat(np.arange(len(first), dtype=np.int64), lengths)
    return weight.astype(np.int64), [entry_sig, key[row], internal[row], external[row]]


def _entry_codes(
    key: np.ndarray, internal: np.ndarray, external: np.ndarray, n: int
) -> tuple[np.ndarray, int]:
    """A code per (key, internal, external) and the number of codes: the three packed into one
    number where that leaves room for n signature codes times it in 62 bits (the usual case),
    else factorised."""
    bits = [int(x.max(initial=0)).bit_length() for x in (key, internal, external)]
    if sum(bits) + n.bit_length() <= 62:
        return (key << (bits[1] + bits[2])) | (internal << bits[2]) | external, 1 << sum(bits)
    entry = np.zeros(len(key), dtype=np.int64)
    for column in (key, internal, external):
        entry, _ = pd.factorize(entry * (int(column.max(initial=0)) + 1) + column)
    return entry, int(entry.max(initial=-1)) + 1


def merge(summaries: Iterable[UsageSummary]) -> UsageSummary:
    """One summary of several (of disjoint sets of whole activities, same classes), read one
    at a time: uses added, equal signatures joined with their weights added."""
    index: dict[bytes, int] = {}
    weights: list[int] = []
    chunks: list[np.ndarray] = []
    head, uses, rows, days, sources = None, None, 0, [], set()
    for part in summaries:
        head = head or part
        uses = part.uses if uses is None else uses + part.uses
        rows += part.rows
        sources.update(part.sources)
        if part.day_uses is not None:
            days = [pd.concat([*days, part.day_uses]).groupby(level=[0, 1]).sum()]
        table = np.stack([part.entry_key, part.entry_internal, part.entry_external], axis=1)
        bounds = np.r_[0, np.cumsum(np.bincount(part.entry_sig, minlength=len(part.weight)))]
        for s, w in enumerate(part.weight.tolist()):
            entries = table[bounds[s] : bounds[s + 1]]
            code = index.setdefault(entries.tobytes(), len(index))
            if code == len(weights):
                weights.append(0)
                chunks.append(entries)
            weights[code] += w
    if head is None:
        raise ZoomaiError("no usage summaries to merge")
    lengths = np.array([len(c) for c in chunks], dtype=np.int64)
    entries = np.concatenate(chunks) if chunks else np.zeros((0, 3), dtype=np.int64)
    return UsageSummary(
        features=head.features,
        classes=head.classes,
        uses=uses,
        weight=np.array(weights, dtype=np.int64),
        entry_sig=np.repeat(np.arange(len(chunks), dtype=np.int64), lengths),
        entry_key=entries[:, 0],
        entry_internal=entries[:, 1],
        entry_external=entries[:, 2],
        day_uses=days[0] if days else None,
        rows=rows,
        sources=tuple(s for s in USAGE_SOURCES if s in sources),
    )
