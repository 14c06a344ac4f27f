"""The usage summary (zoomai.analysis.usage_summary): compare and what-if weighed from it equal
the naive recomputation from the usage rows (method="rows") on the bundled tenants and on
generated small ones, and the summary itself holds what was worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import tiny_tenant
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_properties import configurations, tenants

from zoomai.analysis.exposure import analyse, analyse_summary, compare, scenario, what_if
from zoomai.analysis.usage_summary import merge, summarise
from zoomai.core.errors import ZoomaiError
from zoomai.tenants.tables import concat, load_tenants

PRESETS = ["default", "zmo", "zdr", "zmo_zdr", "hardened", "ai_off"]
# each example weighs a few dozen configurations twice (summary and rows)
SLOW = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def bundled():
    return load_tenants()


def test_compare_equals_naive_on_bundled_tenants(bundled):
    for tid, tenant in bundled.items():
        for bound in ("max", "min"):
            fast = compare(tenant, PRESETS, bound=bound)
            naive = compare(tenant, PRESETS, bound=bound, method="rows")
            pd.testing.assert_frame_equal(fast, naive, obj=f"{tid} {bound}")


def test_what_if_equals_naive_on_bundled_tenants(bundled):
    for tid, tenant in bundled.items():
        fast = what_if(tenant, "default")
        pd.testing.assert_frame_equal(fast, what_if(tenant, "default", method="rows"), obj=tid)
        assert len(fast) > 0, tid  # changes that alter something exist on every bundled tenant


def test_summary_result_equals_rows_result(bundled):
    tenant = bundled["us_enterprise_defaults"]
    sc = scenario(tenant, "hardened")
    summary = summarise(tenant.usage, sc.user_group, tenant.users["user_id"], sc.features, sc.tenant_id)
    fast, naive = analyse_summary(sc, summary), analyse(sc)
    assert fast.totals == naive.totals
    pd.testing.assert_frame_equal(fast.exposure, naive.exposure)
    pd.testing.assert_frame_equal(fast.features, naive.features)
    pd.testing.assert_frame_equal(fast.items, naive.items)


@SLOW
@given(tenants(), configurations(), configurations())
def test_compare_equals_naive_on_generated_tenants(tenant, a, b):
    configs = [a, b.model_copy(update={"name": "other"}), "default"]
    for bound in ("max", "min"):
        fast = compare(tenant, configs, bound=bound)
        pd.testing.assert_frame_equal(fast, compare(tenant, configs, bound=bound, method="rows"))


@SLOW
@given(tenants(), configurations(), st.sampled_from(["max", "min"]))
def test_what_if_equals_naive_on_generated_tenants(tenant, base, bound):
    fast = what_if(tenant, base, bound=bound)
    pd.testing.assert_frame_equal(fast, what_if(tenant, base, bound=bound, method="rows"))


@SLOW
@given(tenants("ta"), tenants("tb"), configurations())
def test_compare_equals_naive_on_concatenated_tenants(a, b, config):
    both = concat([a, b])
    pd.testing.assert_frame_equal(
        compare(both, [config, "zmo"]), compare(both, [config, "zmo"], method="rows")
    )


# Hand-worked summary: activity 1 has two uses by u1 (meeting summary, 3 internal + 2
# external, one shared, one not), activities 2 and 3 the same single use by u2 (2 + 1, not
# shared), activity 4 one use each by u1 and u2 (1 + 0, shared). With u1 and u2 in classes 0
# and 1: signatures are [a1], [a2, a3] (weight 2) and [a4]; uses per class key: class 0 has
# 2 meeting-summary uses shared and 1 not, class 1 has 2 not shared and 1 shared.
SUMMARY_USAGE = [
    (1, "u1", "meetings.meeting_summary", 3, 2, True),
    (1, "u1", "meetings.meeting_summary", 3, 2, False),
    (2, "u2", "meetings.meeting_summary", 2, 1, False),
    (3, "u2", "meetings.meeting_summary", 2, 1, False),
    (4, "u1", "meetings.meeting_summary", 1, 0, True),
    (4, "u2", "meetings.meeting_summary", 1, 0, True),
]


def test_summary_by_hand():
    tenant = tiny_tenant(usage=SUMMARY_USAGE)
    sc = scenario(tenant, "default")
    f = sc.features.index("meetings.meeting_summary")
    size = 2 * len(sc.features)
    summary = summarise(tenant.usage, np.array([0, 1]), tenant.users["user_id"], sc.features, "t1")
    assert summary.weight.tolist() == [1, 2, 1]
    assert summary.uses.sum() == 6
    assert summary.uses[2 * f + 1] == 2 and summary.uses[2 * f] == 1  # class 0: shared, not
    assert summary.uses[size + 2 * f] == 2 and summary.uses[size + 2 * f + 1] == 1  # class 1
    assert summary.entry_sig.tolist() == [0, 0, 1, 2, 2]
    assert summary.entry_internal.tolist() == [3, 3, 2, 1, 1]
    # u1 and u2 in one setting group: activity 4 is one unit (people once), entries of a1 too
    counts, units = summary.project(np.array([0, 0]), 1)
    assert counts.sum() == 6 and counts[2 * f + 1] == 3
    assert units.unit.tolist() == [0, 0, 1, 2, 2] and units.weight.tolist() == [1, 1, 2, 1, 1]
    # apart (u2 in group 1): activity 4 becomes two units, one per group
    _, units = summary.project(np.array([0, 1]), 2)
    assert units.unit.tolist() == [0, 0, 3, 4, 5]


def test_people_of_an_activity_of_two_classes_count_once():
    # activity 4 above has uses by u1 and u2, in separate setting groups under the default
    # configuration (u2 sends summaries to internal invitees only) but in one where the
    # recipients are locked for everyone: the summary (u1 and u2 in separate classes) must
    # count a4's one internal participant once there, as the rows do.
    from zoomai.analysis.configurations import Configuration

    tenant = tiny_tenant(usage=SUMMARY_USAGE)
    config = {"in_meeting.meeting_summary_with_ai_companion.who_will_receive_summary": "1"}
    locked = Configuration(name="locked", settings=config)
    table = compare(tenant, ["default", locked])
    pd.testing.assert_frame_equal(table, compare(tenant, ["default", locked], method="rows"))
    people = table.set_index("configuration")["people_internal"]
    # default: two groups, a4 is one unit in each: a1 3 + a2 2 + a3 2 + a4 (1 + 1) = 9;
    # locked: one group, a4 one unit: 3 + 2 + 2 + 1 = 8
    assert people.to_dict() == {"default": 9, "locked": 8}


def test_merged_summaries_equal_one_summary():
    tenant = tiny_tenant(usage=SUMMARY_USAGE)
    sc = scenario(tenant, "default")
    classes, users = np.array([0, 1]), tenant.users["user_id"]
    whole = summarise(tenant.usage, classes, users, sc.features, "t1", days=True)
    usage = tenant.usage
    parts = [usage[usage["activity_id"] <= 2], usage[usage["activity_id"] > 2]]
    merged = merge(summarise(p, classes, users, sc.features, "t1", days=True) for p in parts)
    assert merged.weight.tolist() == whole.weight.tolist()  # a2 and a3 joined again
    for name in ("uses", "entry_sig", "entry_key", "entry_internal", "entry_external"):
        assert getattr(merged, name).tolist() == getattr(whole, name).tolist(), name
    pd.testing.assert_series_equal(merged.day_uses, whole.day_uses)


def test_groups_must_be_unions_of_classes():
    tenant = tiny_tenant(usage=SUMMARY_USAGE)
    sc = scenario(tenant, "default")
    summary = summarise(tenant.usage, np.array([0, 0]), tenant.users["user_id"], sc.features, "t1")
    with pytest.raises(ZoomaiError, match="not unions"):
        summary.project(np.array([0, 1]), 2)


def test_unknown_method_is_a_clean_error():
    with pytest.raises(ZoomaiError, match="unknown method 'fast'"):
        compare(tiny_tenant(), ["default"], method="fast")
