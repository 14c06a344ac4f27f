"""Properties of flows and exposure over generated tenants and configurations (hypothesis):

- ZMO means no OpenAI or Anthropic flows (and no model-provider exposure);
- ZDR never lengthens a retention window;
- switching a feature off never raises any exposure figure;
- hosting outside the US gives the same flows as ZMO;
- exposure adds up across tenants;
- the lower bound never exceeds the upper one, and under ZMO both are 0 at model providers;
- every flow has a certainty and a cited basis (a reading where it is inferred or assumed).
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
from conftest import tiny_tenant
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zoomai.analysis.configurations import Configuration
from zoomai.analysis.exposure import (
    BOUNDED_FIGURES,
    EXPOSURE_COLUMNS,
    FIGURES,
    TOTAL_BOUNDED,
    exposure,
    flow_keys,
    totals,
)
from zoomai.analysis.flows import flows_for, options_for
from zoomai.facts.matrix import load_feature_matrix
from zoomai.facts.registry import SETTINGS, SPECS
from zoomai.facts.sources import FACT_SETS
from zoomai.tenants.tables import concat

FEATURES = list(dict.fromkeys(load_feature_matrix()["feature_id"]))
KEYS = list(flow_keys())
PERIODS = ["7", "30", "90", "365", "2w", "3m", "1y"]
# each tenant example runs several analyses; flows-only examples are cheap
SLOW = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FAST = settings(max_examples=40, deadline=None)


def _values(key: str) -> st.SearchStrategy[str]:
    spec = SPECS[key]
    if spec.type == "bool":
        return st.sampled_from(["true", "false"])
    if spec.type == "enum":
        return st.sampled_from(list(spec.choices))
    return st.sampled_from([p for p in PERIODS if spec.type == "str" or p.isdigit()])


@st.composite
def configurations(draw) -> Configuration:
    keys = draw(st.lists(st.sampled_from(KEYS), unique=True, max_size=12))
    return Configuration(
        name="generated",
        zmo=draw(st.sampled_from([None, True, False])),
        zdr=draw(st.sampled_from([None, True, False])),
        settings={k: draw(_values(k)) for k in keys},
    )


usage_rows = st.lists(
    st.tuples(
        st.integers(1, 5),
        st.sampled_from(["u1", "u2"]),
        st.sampled_from(FEATURES),
        st.integers(1, 6),
        st.integers(0, 4),
        st.booleans(),
    ),
    min_size=1,
    max_size=10,
)
regions = st.sampled_from(["US", "US", "EU", "JP"])


@st.composite
def tenants(draw, tenant_id: str = "t1"):
    return tiny_tenant(tenant_id, draw(regions), draw(usage_rows))


def _switched_on(config: Configuration) -> Configuration:
    """Every feature switch on (unless the configuration says otherwise): more to lose."""
    on = {s.key: "true" for s in SETTINGS if s.feature_id}
    return config.model_copy(update={"settings": {**on, **config.settings}})


@FAST
@given(configurations(), regions)
def test_zmo_means_no_model_providers(config, region):
    options = options_for(config.model_copy(update={"zmo": True}), region)
    flows = flows_for(options)
    assert not flows["party"].isin(["OpenAI", "Anthropic"]).any()


@SLOW
@given(tenants(), configurations())
def test_zmo_exposure_has_no_model_providers(tenant, config):
    e = exposure(tenant, _switched_on(config).model_copy(update={"zmo": True}))
    assert (e["party_kind"] != "model_provider").all()


@FAST
@given(configurations(), regions, st.sampled_from(FACT_SETS))
def test_zdr_never_lengthens_a_window(config, region, facts):
    base = options_for(config, region, facts=facts)

    def longest(zdr: bool) -> pd.Series:
        """The longest window per content item and party (unbounded or unknown: infinite)."""
        f = flows_for(replace(base, zdr=zdr))
        days = f["retention_max_days"].astype(float).fillna(float("inf"))
        return days.groupby([f["feature_id"], f["content_item"], f["party"]]).max()

    off, on = longest(False), longest(True)
    assert sorted(on.index) == sorted(off.index)
    assert (on.loc[off.index] <= off).all()


@SLOW
@given(tenants(), configurations(), st.sampled_from(FEATURES))
def test_switching_a_feature_off_never_raises_exposure(tenant, config, feature):
    config = _switched_on(config)
    switches = {s.key: "false" for s in SETTINGS if s.feature_id == feature}
    off = config.model_copy(update={"settings": {**config.settings, **switches}})
    before, after = totals(tenant, config).iloc[0], totals(tenant, off).iloc[0]
    for figure in FIGURES:
        assert after[figure] <= before[figure], figure
    keys = ["party", "data_category", "source"]
    e_before = exposure(tenant, config).set_index(keys)
    e_after = exposure(tenant, off).set_index(keys)
    assert e_after.index.isin(e_before.index).all()
    numbers = [c for c in EXPOSURE_COLUMNS[4:] if c not in keys]  # every figure, both bounds included
    assert (e_after[numbers] <= e_before.loc[e_after.index, numbers]).all().all()


@FAST
@given(configurations(), st.sampled_from(["EU", "UK", "CA", "AU", "JP", "IN"]))
def test_non_us_hosting_gives_the_zmo_flows(config, region):
    # whitepaper v5.0: outside the US only ZMO (later pages also offer ZM+ there)
    abroad = flows_for(options_for(config, region, facts="v5.0"))
    zmo = flows_for(options_for(config.model_copy(update={"zmo": True}), "US", facts="v5.0"))
    abroad = abroad.assign(location=abroad["location"].replace(region, "US"))
    pd.testing.assert_frame_equal(abroad.drop(columns="basis"), zmo.drop(columns="basis"))


@SLOW
@given(tenants("ta"), tenants("tb"), configurations())
def test_exposure_adds_up_across_tenants(a, b, config):
    both = totals(concat([a, b]), config).set_index("tenant_id")
    apart = pd.concat([totals(a, config), totals(b, config)]).set_index("tenant_id")
    pd.testing.assert_frame_equal(both, apart)
    e_both = exposure(concat([a, b]), config)
    e_apart = pd.concat([exposure(a, config), exposure(b, config)], ignore_index=True)
    pd.testing.assert_frame_equal(e_both, e_apart)


@SLOW
@given(tenants(), configurations())
def test_lower_bound_never_exceeds_upper(tenant, config):
    config = _switched_on(config)
    e = exposure(tenant, config)
    for figure in BOUNDED_FIGURES:
        assert (e[f"{figure}_min"] <= e[f"{figure}_max"]).all(), figure
        assert (e[f"{figure}_max"] == e[figure]).all(), figure
    row = totals(tenant, config).iloc[0]
    for figure in TOTAL_BOUNDED:
        assert row[f"{figure}_min"] <= row[f"{figure}_max"], figure
    low = totals(tenant, config, bound="min").iloc[0]
    assert low["exposure_score"] == row["exposure_score_min"] <= row["exposure_score"]
    zmo = exposure(tenant, config.model_copy(update={"zmo": True}))
    at_providers = zmo[zmo["party_kind"] == "model_provider"]
    assert (at_providers[["records_min", "records_max"]] == 0).all().all()


@FAST
@given(configurations(), regions, st.sampled_from(FACT_SETS))
def test_every_flow_has_certainty_and_cited_basis(config, region, facts):
    f = flows_for(options_for(config, region, facts=facts))
    assert f["certainty"].isin(["stated", "possible", "inferred", "assumed"]).all()
    # 'document, section: reading'; in v5.0 the document is always the whitepaper
    cited = r"^whitepaper v5\.0, .+: .+" if facts == "v5.0" else r"^.+, .+: .+"
    assert f["certainty_basis"].str.match(cited).all()
    needs_reading = f["certainty"].isin(["inferred", "assumed"])
    assert (f.loc[needs_reading, "reading"].str.len() > 0).all()
