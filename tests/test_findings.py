"""The executive summary speaks in ranges (lower bound: stated flows; upper: every flow), on the
hand-worked tiny tenant of tests/test_exposure.py."""

from __future__ import annotations

from conftest import tiny_tenant

from zoomai.analysis.exposure import analysis
from zoomai.reporting.findings import provider_ranges, records_range


def test_records_and_providers_in_ranges():
    result = analysis(tiny_tenant(), "default")
    # default: 17 to 37 records, 1 (SendGrid) to 21 with third parties (test_exposure.py)
    assert records_range(result.totals).startswith(
        "Between 17 and 37 content records are held by some party, between 1 and 21 of them by third parties"
    )
    # OpenAI: a1 2 + a2 2 + a3 4 + a4 2 = 10 records, all possible (none stated)
    findings = provider_ranges(result.items)
    assert findings["finding"].tolist() == [
        f"Between 0 and 10 content records may reach {p}; the whitepaper says third-party models such "
        f"as {p}'s may be used for certain features, not which features use which provider."
        for p in ("Anthropic", "OpenAI")
    ]
    assert set(findings["source"]) == {
        "whitepaper v5.0, Data Flow and Transmission to Third Parties > Data Flow; Third-Party "
        "Subprocessors; Zoom AI Companion"
    }


def test_equal_bounds_give_one_number():
    result = analysis(tiny_tenant(), "zmo")  # every flow stated: 17 records, 1 with SendGrid
    assert records_range(result.totals).startswith("17 content records are held by some party, 1 of them")
    assert provider_ranges(result.items).empty
