"""Headline figures and the notebook-support tables they are computed from."""

from __future__ import annotations

import pandas as pd

from zoomai.analysis.configurations import get_configuration
from zoomai.analysis.flows import availability, lost_features, options_for
from zoomai.facts.matrix import version_history
from zoomai.reporting import headlines


def test_version_history_is_oldest_first_with_undocumented_before_changelog(matrix):
    history = version_history(matrix)
    assert len(history) == matrix["feature_id"].nunique()
    keys = list(zip(history["added_in_version"], history["added_in_source"] == "changelog", strict=True))
    assert keys == sorted(keys)


def test_lost_features_are_the_unavailable_ones(matrix):
    options = options_for(get_configuration("zmo"))
    lost = lost_features(options, matrix)
    everything = availability(options, matrix)
    assert lost["feature_id"].tolist() == everything.loc[~everything["available"], "feature_id"].tolist()
    assert len(lost) and (lost["reason"] == "not ZMO eligible").all()


def test_data_flows_figures():
    flows = pd.DataFrame(
        {
            "feature_id": ["a", "a", "a", "b"],
            "content_item": ["x", "x", "y", "z"],
            "party": ["Zoom", "OpenAI", "Zoom", "Amazon Rekognition"],
            "party_kind": ["zoom", "model_provider", "zoom", "subprocessor"],
            "location": ["US", "US", "US", "unknown"],
            "retention_note": ["up to 30 days", "up to 30 days", "unbounded: kept", "unknown: silent"],
        }
    )
    lost = pd.DataFrame({"feature_id": ["c"]})
    assert headlines.data_flows(flows, lost) == {
        "flows": 4,
        "content_items": 3,
        "parties": 3,
        "third_party_flows": 2,
        "unknown_retention_flows": 1,
        "unbounded_retention_flows": 1,
        "flows_by_location": {"US": 3, "unknown": 1},
        "lost_features": 1,
    }


def test_settings_audit_figures():
    bands = pd.DataFrame(
        {
            "band": ["below", "above", "unknown version"],
            "participant_notice": pd.array([False, True, None], dtype="boolean"),
            "users": [2, 5, 1],
        }
    )
    figures = headlines.settings_audit(
        locks=pd.DataFrame({"key": ["k"]}),
        overrides=pd.DataFrame({"key": ["k", "k2"], "users": [3, 1]}),
        bands=bands,
        posture=pd.DataFrame({"flagged": [True, False]}),
    )
    assert figures == {
        "users": 8,
        "locked_keys": 1,
        "widening_overrides": 2,
        "user_settings_widened": 4,
        "users_without_participant_notice": 2,
        "users_with_unknown_version": 1,
        "groups_flagged": 1,
    }
