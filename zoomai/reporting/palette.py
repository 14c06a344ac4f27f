"""One colour per party and per data category, the same in every chart of every report.

Colours are assigned from fixed lists in a fixed order over every party and data category the
data can produce (the parties of the flows under `default`, the widest configuration, plus any
other party the policy facts name; the data categories of the feature matrix), so a party's
colour does not depend on which parties a chart happens to show. A name outside those sets (a
custom data folder) gets a colour from its name's hash, still the same in every chart.
"""

from __future__ import annotations

import hashlib
from functools import cache

from zoomai.analysis.flows import PARTY_NAMES, flows
from zoomai.core.csvio import split_list
from zoomai.facts.matrix import load_feature_matrix
from zoomai.facts.policy import PartyKind, load_policy

# Okabe-Ito (safe with colour-vision deficiencies), then further distinct tones; Okabe-Ito's
# yellow is last for parties, as thin lines and small labels in yellow are hard to read on white.
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
EXTRA = ["#7F3C8D", "#8C510A", "#BCBD22", "#E73F74", "#17BECF", "#E68310", "#008695"]
PARTY_COLOURS = [c for c in OKABE_ITO if c != "#F0E442"] + EXTRA + ["#F0E442"]
# Categories: a second qualitative set (plotly's "Safe" and "Vivid"), so a category never looks
# like a party in the Sankey where both appear.
CATEGORY_COLOURS = [
    "#88CCEE", "#CC6677", "#DDCC77", "#117733", "#332288", "#AA4499", "#44AA99", "#999933",
    "#882255", "#661100", "#6699CC", "#888888", "#E58606", "#5D69B1", "#52BCA3", "#99C945",
]  # fmt: skip
PARTY_KIND_ORDER = list(PartyKind.__args__)
UNKNOWN_GREY = "#999999"


def _hashed(name: str, colours: list[str]) -> str:
    return colours[int(hashlib.sha256(name.encode()).hexdigest(), 16) % len(colours)]


@cache
def parties() -> tuple[str, ...]:
    """Every party the data can produce, in the colour order: the `default` flows' parties by
    kind (Zoom, model providers, subprocessors, customer storage, ...) and name, then the other
    parties named by the policy facts, by name."""
    policy = load_policy()
    wide = flows("default")
    kind = wide["party_kind"].map(PARTY_KIND_ORDER.index)
    ordered = list(wide.assign(_k=kind).sort_values(["_k", "party"])["party"].drop_duplicates())
    others = set(PARTY_NAMES.values()) | set(policy.model_providers) | set(policy.facts["party"].dropna())
    return tuple(ordered + sorted(others - set(ordered)))


@cache
def categories() -> tuple[str, ...]:
    """Every data category of the feature matrix, sorted by key."""
    keys = {k for cell in load_feature_matrix()["data_category"].astype(str) for k in split_list(cell)}
    return tuple(sorted(keys))


def party_colour(party: str) -> str:
    """The colour of a party in every chart."""
    known = parties()
    if party in known and known.index(party) < len(PARTY_COLOURS):
        return PARTY_COLOURS[known.index(party)]
    return _hashed(party, PARTY_COLOURS)


def category_colour(key: str) -> str:
    """The colour of a data category (fideslang key) in every chart."""
    known = categories()
    if key in known and known.index(key) < len(CATEGORY_COLOURS):
        return CATEGORY_COLOURS[known.index(key)]
    return _hashed(key, CATEGORY_COLOURS)


def rgba(colour: str, alpha: float) -> str:
    """'#0072B2', 0.3 -> 'rgba(0,114,178,0.3)' (translucent links and areas)."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"
