"""The fact set through the flows: `--facts v5.0` gives exactly the flows, exposure and compare
of main before `facts=` existed (tests/fixtures/flows_v5, made on main); `--facts current`
differs only where a listed change (`zoomai matrix --changes v5.0 current`) says so; unknown
flags and ZM+ propagate as possible flows and wider windows, never as false or zero; model
routing in configurations and tenants."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from conftest import run_cli

from zoomai.analysis.configurations import Configuration, apply_configuration, load_configurations
from zoomai.analysis.exposure import exposure
from zoomai.analysis.factdiff import flow_differences
from zoomai.analysis.flows import UNNAMED_PROVIDER, FlowOptions, availability, flows, flows_for
from zoomai.core.errors import DataError, ZoomaiError
from zoomai.facts.factset import flow_inputs
from zoomai.tenants.tables import USAGE_SOURCES, load_tenant, tenant_routing, validate

REFERENCE = Path(__file__).parent / "fixtures" / "flows_v5"
WEB_SEARCH = "ai_companion_panel.web_search"
THIRD_PARTY_SOURCES = "ai_companion_panel.answers_from_third_party_data_sources"


@pytest.mark.parametrize(
    "args, reference",
    [
        *[
            (["flows", "--config", c, "--region", r], f"flows_{c}_{r}.csv")
            for c in ("default", "zmo", "zdr", "hardened")
            for r in ("US", "EU")
        ],
        (["flows", "--config", "zmo", "--lost"], "lost_zmo_US.csv"),
        *[
            (["exposure", t, "--config", c], f"exposure_{t}_{c}.csv")
            for t in ("us_enterprise_defaults", "eu_company_zmo")
            for c in ("default", "hardened")
        ],
        (
            ["compare", "us_enterprise_defaults", "--config", "default,zmo,zdr,hardened"],
            "compare_us_enterprise_defaults.csv",
        ),
        (
            ["exposure", "us_enterprise_defaults", "--view", "totals"],
            "totals_us_enterprise_defaults_default.csv",
        ),
    ],
)
def test_v5_gives_exactly_the_flows_of_main(args, reference):
    """Every row and column of main's output, value for value; the only columns added since
    are the usage-source split (issue 14), and on these simulated tenants all of it is simulated."""
    code, out, err = run_cli(*args, "--facts", "v5.0", "--format", "csv")
    assert code == 0, err
    got = pd.read_csv(io.StringIO(out), dtype=str, keep_default_na=False)
    want = pd.read_csv(REFERENCE / reference, dtype=str, keep_default_na=False)
    assert got[list(want.columns)].to_csv(index=False) == want.to_csv(index=False)
    added = set(got.columns) - set(want.columns)
    split = {"source"} | {f"{figure}_{s}" for figure in ("uses", "records") for s in USAGE_SOURCES}
    assert added <= split, added - split
    if "source" in added:
        assert set(got["source"]) <= {"simulated"}
    for s in ("observed", "estimated"):
        assert set(got.get(f"records_{s}", pd.Series(["0"]))) == {"0"}


@pytest.mark.parametrize("config", ["default", "zmo", "zdr", "hardened", "ai_off"])
@pytest.mark.parametrize("region", ["US", "EU"])
def test_every_current_difference_is_a_listed_change(config, region):
    diff = flow_differences(config, region)
    unexplained = diff[diff["explained_by"] == ""]
    assert unexplained.empty, unexplained[["difference", "feature_id", "content_item", "party"]]


def test_current_differs_where_the_sources_differ():
    diff = flow_differences("default", "US")
    # No v5.0 flow is removed or changed under the default configuration in the US: the later
    # pages only add (features, content items, providers); the v5.0 rows carry over.
    assert set(diff["difference"]) == {"added"}
    added = set(diff["feature_id"])
    assert {WEB_SEARCH, THIRD_PARTY_SOURCES, "custom_ai_companion.knowledge_bases"} <= added
    # Meeting summary gains the two inputs the ZDR passage names (bluepaper_privacy)
    summary = diff[diff["feature_id"] == "meetings.meeting_summary"]
    assert set(summary["content_item"]) == {"Screen-shared content read by OCR", "In-meeting chat messages"}


def test_perplexity_serves_web_search_in_the_us_for_an_unknown_time():
    f = flows("default", "US", "current")
    perplexity = f[f["party"] == "Perplexity"].set_index("content_item")
    assert set(perplexity["feature_id"]) == {WEB_SEARCH}
    # bluepaper_ai_companion names Perplexity for the web results: stated; that the question
    # reaches it is the overlay row's inferred reading; US from the row (bluepaper_residency)
    assert perplexity.loc["Web search results", "certainty"] == "stated"
    assert perplexity.loc["User question", "certainty"] == "inferred"
    assert set(perplexity["location"]) == {"US"}
    assert perplexity["retention_max_days"].isna().all()
    assert perplexity["retention_note"].str.startswith("unknown").all()
    # ElevenLabs: the pages do not say which feature uses it, so no flow names it
    assert "ElevenLabs" not in set(f["party"])


def test_third_party_sources_are_inputs_zoom_indexes_for_an_unknown_time():
    f = flows("default", "US", "current")
    rows = f[(f["feature_id"] == THIRD_PARTY_SOURCES) & (f["direction"] == "input")]
    items = {
        "Microsoft or Google calendar events",
        "Microsoft or Google emails",
        "Microsoft or Google documents",
    }
    assert set(rows["content_item"]) == items
    index = rows[rows["basis"] == "third_party_index_retention"]
    assert set(index["content_item"]) == items and set(index["party"]) == {"Zoom"}
    assert index["retention_max_days"].isna().all() and (index["location"] == "unknown").all()


def test_unknown_flags_are_possible_never_false():
    # ZMO: the web search's ZMO eligibility is unknown (<NA>): not lost, but every flow is
    # possible (availability_unknown), and no third-party model gets anything under ZMO.
    options = FlowOptions(routing="zmo", facts="current")
    avail = availability(options).set_index("feature_id")
    assert bool(avail.loc[WEB_SEARCH, "available"])
    assert avail.loc[WEB_SEARCH, "reason"].startswith(
        "availability under Zoom-hosted Models Only (ZMO) unknown"
    )
    f = flows_for(options)
    assert (f.loc[f["feature_id"] == WEB_SEARCH, "certainty"] != "stated").all()
    assert not (f["party_kind"] == "model_provider").any()
    # a ZMO-eligible v5.0 feature is unaffected
    assert (f.loc[f["feature_id"] == "meetings.meeting_summary", "party"] == "Zoom").any()
    # ZDR with an unknown ZDR eligibility: the widest of the ZDR (1 day) and support (30 days) windows
    g = flows_for(FlowOptions(zdr=True, facts="current"))
    third = g[
        g["feature_id"].str.startswith("meetings.meeting_summary_in_third_party") & (g["party"] == "Zoom")
    ]
    assert (third["retention_max_days"] == 30).all() and (third["certainty"] == "possible").all()


def test_zm_plus_keeps_provider_flows_as_possible_and_loses_nothing():
    zm = flows_for(FlowOptions(routing="zm_plus", facts="current"))
    fed = flows_for(FlowOptions(routing="federated", facts="current"))
    zmo_lost = availability(FlowOptions(routing="zmo", facts="current"))
    # ZM+ third-party routing unknown: the same flows as federated, none dropped ...
    key = ["feature_id", "content_item", "party"]
    assert set(map(tuple, zm[key].to_numpy())) == set(map(tuple, fed[key].to_numpy()))
    # ... none of its model-provider flows stated, each resting on provider_routing_unknown
    providers = zm[zm["party_kind"] == "model_provider"]
    assert (providers["certainty"] != "stated").all()
    assert (
        providers["certainty_basis"].str.contains("Data is processed regionally when using ZMO or ZM+").all()
    )
    # features ZMO makes unavailable are possibly available under ZM+: flows kept, none stated
    lost = set(zmo_lost.loc[~zmo_lost["available"], "feature_id"])
    assert lost and (zm.loc[zm["feature_id"].isin(lost), "certainty"] != "stated").all()
    with pytest.raises(ZoomaiError, match="contradictory model routing"):
        FlowOptions(zmo=True, routing="zm_plus")


def test_outside_the_us_current_offers_zmo_or_zm_plus():
    # v5.0: outside the US ZMO only (non_us_hosting_zmo_only); current replaces it by
    # regional_processing_zmo_zm_plus: ZMO or ZM+, which one is not known for a federated account
    _, policy = flow_inputs("current")
    assert FlowOptions(region="EU", facts="current").routings_in_force(policy) == ("zmo", "zm_plus")
    assert FlowOptions(region="EU", facts="v5.0").routings_in_force(flow_inputs("v5.0")[1]) == ("zmo",)
    eu = flows("default", "EU", "current")
    assert (eu.loc[eu["party_kind"] == "model_provider", "certainty"] != "stated").all()
    assert {"OpenAI", "Anthropic"} <= set(eu["party"])


def test_exposure_current_adds_the_summary_inputs_at_zoom():
    tenant = load_tenant("us_enterprise_defaults")
    uses = int((tenant.usage["feature_id"] == "meetings.meeting_summary").sum())
    old = exposure(tenant, "default", facts="v5.0").groupby("party")[["records_min", "records_max"]].sum()
    new = exposure(tenant, "default", facts="current").groupby("party")[["records_min", "records_max"]].sum()
    # each meeting-summary use adds two stated Zoom records (OCR content, in-meeting chat);
    # no usage row exists for the features added later (the tenant predates them)
    assert new.loc["Zoom", "records_min"] - old.loc["Zoom", "records_min"] == 2 * uses
    # ... and the same two at an unnamed provider and unknown customer storage: upper bound only
    assert new.loc[UNNAMED_PROVIDER, "records_max"] == 2 * uses
    assert new.loc[UNNAMED_PROVIDER, "records_min"] == 0
    assert new.loc["Customer storage", "records_min"] == old.loc["Customer storage", "records_min"]


def test_routing_in_configurations_and_tenants(tmp_path):
    presets = load_configurations()
    assert presets["zmo"].routing_chosen == "zmo"  # the older `zmo: true`
    assert presets["default"].routing_chosen is None  # keeps the tenant's
    path = tmp_path / "c.yaml"
    path.write_text("configurations:\n  plus:\n    routing: zm_plus\n")
    plus = load_configurations(path)["plus"]
    tenant = load_tenant("eu_company_zmo")
    assert "routing" not in tenant.tenants  # a table written before routing existed
    assert tenant_routing(tenant.info) == ("zmo" if tenant.info["zmo_enabled"] else "federated")
    applied = apply_configuration(tenant, plus)
    assert tenant_routing(applied.info) == "zm_plus" and not applied.info["zmo_enabled"]
    validate(applied)
    clash = applied.tenants.assign(zmo_enabled=True)
    with pytest.raises(DataError, match="routing 'zm_plus' contradicts zmo_enabled=True"):
        validate(type(applied)(**{**vars(applied), "tenants": clash}))
    # a what-if "zmo=true" on a zm_plus configuration switches the routing to ZMO
    assert plus.model_copy(update={"zmo": True}).routing_chosen == "zmo"
    assert Configuration(name="x", zmo=False).routing_chosen == "federated"


def test_cli_current_flows_differ_from_v5():
    _, v5, _ = run_cli("flows", "--facts", "v5.0", "--format", "csv")
    code, current, err = run_cli("flows", "--facts", "current", "--format", "csv")
    assert code == 0, err
    assert current != v5 and "Perplexity" in current and "Perplexity" not in v5
    table = pd.read_csv(REFERENCE / "flows_default_US.csv")
    assert len(table) == len(v5.splitlines()) - 1
