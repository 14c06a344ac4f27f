"""data/sources.yaml: every document cited, with date, address and date read; bad files rejected."""

from __future__ import annotations

import textwrap

import pytest

from zoomai.core.errors import DataError
from zoomai.core.paths import data_file
from zoomai.core.yamlio import read_yaml
from zoomai.facts.sources import citation, load_sources

SEEDS = {
    "whitepaper": "seeds/000_32e3ce4243c18348.txt",
    "terms_news": "seeds/001_a33a27d56132aec4.txt",
    "trust_safety": "seeds/002_1ca92776097fe088.txt",
}

GOOD = """\
sources:
  - id: blog
    title: A post
    publisher: Zoom
    date: "2025-10-16"
    url: https://www.zoom.com/en/blog/x
    read: "2026-12-02"
    language: en
    fact_set: current
"""


@pytest.fixture(scope="module")
def sources():
    return load_sources()


def test_three_seeds_are_v5_sources(sources):
    v5 = sources[sources["fact_set"] == "v5.0"]
    seeds = v5[v5["location"].str.startswith("seeds/")].set_index("id")["location"].to_dict()
    assert seeds == SEEDS


def test_whitepaper_v5_is_one_source_dated_july_2024(sources):
    row = sources.set_index("id").loc["whitepaper"]
    assert row["date"] == "2024-07-21"
    assert "version 5.0" in row["title"]


def test_every_policy_document_is_a_source(sources):
    # The v5.0 policy file names its documents; each must be listed here.
    data, _ = read_yaml(data_file("policy.yaml"))
    assert {d["id"] for d in data["documents"]} <= set(sources["id"])


def test_current_sources_are_web_pages_read_on_the_same_day(sources):
    current = sources[sources["fact_set"] == "current"]
    assert len(current) >= 10
    assert current["location"].str.startswith("https://").all()
    assert set(current["read"]) == {"2026-12-02"}
    # The October 2025 blog post is the only dated one; the library pages give no date.
    assert current.set_index("id").loc["blog_deployment_options", "date"] == "2025-10-16"
    assert current.set_index("id").loc["bluepaper_residency", "date"].startswith("as of: ")


def test_citation_names_title_section_and_url(sources):
    section = "Third-party models may store or process data in the U.S."
    text = citation(sources, "bluepaper_residency", section)
    assert text.startswith("Data Residency, Storage, and Model Architecture")
    assert "section Third-party models may store" in text
    assert text.endswith("data-residency-storage-and-model-architecture")
    with pytest.raises(KeyError, match="no source 'nope'"):
        citation(sources, "nope", "x")


def _write(tmp_path, text):
    path = tmp_path / "sources.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_good_minimal_file(tmp_path):
    table = load_sources(_write(tmp_path, GOOD))
    assert table.loc[0, "location"] == "https://www.zoom.com/en/blog/x"
    assert table.loc[0, "scope"] == ""


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('    date: "2025-10-16"\n', "", "line 2, field sources[0]: expected exactly one of date"),
        ("    url: https://www.zoom.com/en/blog/x\n", "", "expected exactly one of url"),
        ("    url: https://www.zoom.com/en/blog/x\n", "    url: not a url\n", "line 6, field sources[0].url"),
        ('    read: "2026-12-02"\n', '    read: "2026-13-02"\n', "line 7, field sources[0].read"),
        ('    read: "2026-12-02"\n', '    read: "2025-01-01"\n', "is after the date read"),
        ("    fact_set: current\n", "    fact_set: v6\n", "line 9, field sources[0].fact_set"),
        ("    language: en\n", "    language: en\n    pages: 3\n", "unknown field"),
    ],
)
def test_bad_entries_name_line_and_field(tmp_path, old, new, message):
    path = _write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(DataError) as exc:
        load_sources(path)
    assert message in str(exc.value)


def test_duplicate_id_is_reported_with_its_line(tmp_path):
    twice = GOOD + GOOD.removeprefix("sources:\n")
    with pytest.raises(DataError, match=r"line 10, field sources\[1\]\.id: duplicate source id 'blog'"):
        load_sources(_write(tmp_path, twice))


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        load_sources(tmp_path / "none.yaml")
