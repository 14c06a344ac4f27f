"""The scope statement (data/scope.yaml) and that no policy fact stays silent."""

from __future__ import annotations

import re

import pytest
from conftest import REPO

from zoomai.analysis.scope import SCOPE_COLUMNS, scope_statement
from zoomai.core.errors import DataError


def test_scope_names_what_is_not_covered(policy):
    scope = scope_statement()
    assert list(scope.columns) == SCOPE_COLUMNS
    assert scope["status"].tolist() == sorted(scope["status"], key=["covered", "not_covered", "caveat"].index)
    topics = scope.set_index("topic")
    # "AI Companion features for Zoom Contact Center are not included in the whitepaper"
    contact = topics.loc["Zoom Contact Center"]
    assert contact["status"] == "not_covered" and contact["facts"] == "contact_center_excluded"
    assert contact["source"] == policy.cite("contact_center_excluded")
    assert topics.loc["Other Zoom AI products", "status"] == "not_covered"
    unknown = topics.loc["Parties whose retention is unknown"]
    assert "never as zero" in unknown["statement"] and "email_provider_retention" in unknown["facts"]


def test_no_policy_fact_stays_silent(policy):
    # every fact changes a flow, a guarantee, a finding or a caveat (code or another data file),
    # or is shown in the scope section
    used = ""
    for path in [*(REPO / "zoomai").rglob("*.py"), *(REPO / "data").glob("*.*")]:
        if path.name != "policy.yaml" and path.suffix in (".py", ".yaml", ".csv"):
            used += path.read_text(encoding="utf-8")
    silent = [f for f in policy.facts["id"] if not re.search(rf"\b{f}\b", used)]
    assert silent == []


def test_unknown_fact_in_scope_is_a_clean_error(tmp_path):
    path = tmp_path / "scope.yaml"
    path.write_text("items:\n  - topic: X\n    status: caveat\n    statement: y\n    facts: [no_such_fact]\n")
    with pytest.raises(DataError, match=r"line 5, field items\[0\].facts\[0\]: unknown policy fact"):
        scope_statement(path)
