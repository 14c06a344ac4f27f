"""The fideslang data map: it validates with fideslang, and says what the flows say."""

from __future__ import annotations

import os
from functools import partial

import pytest
import yaml
from conftest import run_cli
from fideslang.default_taxonomy import DEFAULT_TAXONOMY
from fideslang.models import DataCategory, System, Taxonomy
from fideslang.relationships import get_referenced_missing_keys

from zoomai import load_data_categories
from zoomai.analysis import datamap as engine
from zoomai.analysis.configurations import get_configuration
from zoomai.analysis.datamap import _validate, load_datamap_spec
from zoomai.core.errors import DataError, ZoomaiError
from zoomai.core.paths import data_file

# The declarations below are worked out from the whitepaper v5.0 facts, so every call names them.
datamap = partial(engine.datamap, facts="v5.0")
V5 = ("--facts", "v5.0")

PRESETS = ["default", "zmo", "zdr", "zmo_zdr", "hardened", "ai_off"]
ZMO_FEATURES = {
    "Meetings: Smart recordings",
    "Meetings: Meeting summary",
    "Meetings: Meeting questions",
    "Team Chat: Chat compose",
    "Team Chat: Thread summary",
    "Phone: Call summary",
    "Phone: Voicemail tasks",
    "Phone: SMS thread summary",
}


def declarations(manifest: dict, use: str = "functional.service") -> dict[str, dict]:
    """The declarations of one data use (providing the feature, by default), by name."""
    return {d["name"]: d for d in manifest["system"][0]["privacy_declarations"] if d["data_use"] == use}


RETENTION_USES = list(load_datamap_spec().retention_uses.values())


def validate_manifest(manifest: dict) -> list[System]:
    """Round trip through YAML, then validate every resource with fideslang."""
    loaded = yaml.safe_load(yaml.safe_dump(manifest, sort_keys=False))
    assert set(loaded) == {"system", "data_category"}
    systems = [System.model_validate(s) for s in loaded["system"]]
    categories = [DataCategory.model_validate(c) for c in loaded["data_category"]]
    taxonomy = Taxonomy(
        data_category=[*DEFAULT_TAXONOMY.data_category, *categories],
        data_use=DEFAULT_TAXONOMY.data_use,
        data_subject=DEFAULT_TAXONOMY.data_subject,
        system=systems,
    )
    assert get_referenced_missing_keys(taxonomy) <= {"default_organization"}
    return systems


@pytest.mark.parametrize("config", PRESETS)
@pytest.mark.parametrize("region", ["US", "EU"])
def test_every_preset_validates(config, region):
    systems = validate_manifest(datamap(config, region))
    assert systems[0].fides_key == f"zoom_ai_companion_{config}_{region.lower()}"
    known = set(load_data_categories()["fides_key"])
    for declaration in systems[0].privacy_declarations:
        assert set(declaration.data_categories) <= known
        assert declaration.data_use in {"functional.service", *(u.data_use for u in RETENTION_USES)}
        assert declaration.data_subjects and "employee" in declaration.data_subjects


def test_extensions_are_in_the_manifest():
    manifest = datamap("default")
    ext = load_data_categories().query("extension")
    assert [c["fides_key"] for c in manifest["data_category"]] == ext["fides_key"].tolist()
    used = {c for d in declarations(manifest).values() for c in d["data_categories"]}
    assert {"user.content.transcript", "user.content.ai_generated.summary"} <= used


def test_zmo_declarations():
    manifest = datamap("zmo")
    decl = declarations(manifest)
    assert set(decl) == ZMO_FEATURES
    keys = {s["fides_key"] for s in manifest["system"]}
    assert not {"openai", "anthropic", "amazon_rekognition"} & keys
    for d in decl.values():
        assert not {"openai", "anthropic"} & set(d.get("egress", []))
        assert "model providers" not in d.get("third_parties", "")
    summary = decl["Meetings: Meeting summary"]
    assert summary["egress"] == [
        "customer_storage",
        "email_provider",
        "external_recipients",
        "twilio_sendgrid",
    ]
    assert summary["third_parties"] == (
        "subprocessors (Twilio SendGrid); the customer's email provider; recipients outside the organisation"
    )
    assert manifest["system"][0]["meta"]["zmo"] is True
    assert len(manifest["system"][0]["meta"]["lost_features"]) == 12


def test_default_declarations():
    manifest = datamap("default")
    decl = declarations(manifest)
    assert len(decl) == 20
    summary = decl["Meetings: Meeting summary"]
    assert summary["egress"] == [
        "anthropic",
        "customer_storage",
        "email_provider",
        "external_recipients",
        "openai",
        "twilio_sendgrid",
    ]
    assert summary["ingress"] == ["user"]
    assert summary["data_categories"] == ["user.content.ai_generated.summary", "user.content.transcript"]
    assert summary["data_shared_with_third_parties"] is True
    assert summary["third_parties"].startswith("third-party model providers (OpenAI, Anthropic)")
    # Zoom's and the providers' 30 days hold "unless" the law requires longer (whitepaper, Model
    # Provider Data Storage and Retention): not a hard maximum
    assert summary["retention_period"] == (
        "unbounded: kept until deleted (Customer storage); unknown: the sources do not say "
        "(Email provider if emailed, External recipients if shared); up to 30 days; longer where "
        "applicable law requires it, including for trust and safety purposes (Zoom); up to 30 days; "
        "longer where applicable law requires it (OpenAI, Anthropic); up to 7 days (Twilio SendGrid "
        "if emailed)"
    )
    background = decl["Meetings: Virtual background generation"]
    assert "user" in background["egress"] and "amazon_rekognition" in background["egress"]
    # the system's egress names every receiving party once; recipients are defined systems
    egress = {f["fides_key"] for f in manifest["system"][0]["egress"]}
    assert egress == {s["fides_key"] for s in manifest["system"][1:]} | {"user"}
    assert manifest["system"][0]["meta"]["zmo"] is False


def test_unknown_retention_stays_unknown():
    decl = declarations(datamap("default"))
    assert decl["Meetings: Virtual background generation"]["retention_period"] == (
        "unbounded: kept until deleted (User device); unknown: the sources do not say "
        "(Amazon Rekognition); up to 30 days; longer where applicable law requires it, including "
        "for trust and safety purposes (Zoom); up to 30 days; longer where applicable law requires "
        "it (OpenAI, Anthropic)"
    )
    scheduling = decl["Team Chat: Quick scheduling"]["retention_period"]
    assert scheduling.startswith("unknown: the sources do not say (Calendar provider if shared)")
    assert " 0 day" not in scheduling


def test_hardened_retention_and_no_third_parties():
    decl = declarations(datamap("hardened"))
    summary = decl["Meetings: Meeting summary"]
    assert summary["retention_period"] == (
        "unknown: the sources do not say (Email provider if emailed); up to 90 days (Customer storage); "
        "up to 30 days; longer where applicable law requires it, including for trust and safety "
        "purposes (Zoom); up to 7 days (Twilio SendGrid if emailed)"
    )
    # link-only emails still pass a link and the recipients' addresses to SendGrid and the email
    # provider: the only content shared with third parties under hardened
    assert summary["egress"] == ["customer_storage", "email_provider", "twilio_sendgrid"]
    assert summary["shared_categories"] == ["user.contact.email"]
    shared = [name for name, d in decl.items() if d.get("data_shared_with_third_parties")]
    assert shared == ["Meetings: Meeting summary"]


def test_region_eu():
    manifest = datamap("default", "EU")
    main = manifest["system"][0]
    assert main["meta"]["region"] == "EU" and main["meta"]["zmo"] is True
    assert set(declarations(manifest)) == ZMO_FEATURES
    storage = next(s for s in manifest["system"] if s["fides_key"] == "customer_storage")
    assert storage["meta"]["locations"] == ["EU"]
    assert main.get("does_international_transfers", False) is False


def test_ai_off_is_an_empty_system():
    main = datamap("ai_off")["system"]
    assert len(main) == 1 and main[0]["privacy_declarations"] == [] and "egress" not in main[0]
    # under the current facts, the five features no setting of the registry switches (e.g. the
    # panel's web search) stay assumed available: ai_off cannot declare them away
    later = engine.datamap("ai_off", facts="current")["system"][0]["privacy_declarations"]
    assert {d["name"] for d in later} == {
        f"{product}: {feature}{kept}"
        for product, feature in [
            ("AI Companion panel", "Web search"),
            ("AI Companion panel", "Answers from Zoom data sources"),
            ("AI Companion panel", "Answers from third-party data sources"),
            ("Custom AI Companion", "Knowledge bases"),
            ("Meetings", "Meeting summary in third-party meetings (Microsoft Teams and Google Meet)"),
        ]
        for kept in ("", " (support and debugging)")
    }


def test_invalid_system_fails_loudly():
    config = get_configuration("default")
    extensions = []
    declaration = {"name": "x", "data_categories": ["user.name"], "data_use": "functional.service"}
    broken = {"fides_key": "z", "name": "z", "system_type": "Service", "privacy_declarations": []}
    with pytest.raises(ZoomaiError, match="not valid fideslang: .*does not itself define any egress"):
        egress = {**declaration, "egress": ["openai"]}
        _validate(config, [{**broken, "privacy_declarations": [egress]}], extensions)
    with pytest.raises(ZoomaiError, match=r"data categories \['user.content.hologram'\] are neither"):
        hologram = {**declaration, "data_categories": ["user.content.hologram"]}
        _validate(config, [{**broken, "privacy_declarations": [hologram]}], extensions)
    flow = {"fides_key": "openai", "type": "system"}
    with pytest.raises(ZoomaiError, match=r"undefined fides keys \['openai'\]"):
        _validate(config, [{**broken, "egress": [flow]}], extensions)


def test_broken_datamap_spec(tmp_path):
    path = tmp_path / "datamap.yaml"
    text = data_file("datamap.yaml").read_text()
    text = text.replace("data_use: functional.service", "data_use: ai.magic")
    path.write_text(text.replace("Clips: [employee]", "Clips: [robot]"))
    with pytest.raises(DataError) as info:
        load_datamap_spec(path)
    message = str(info.value)
    assert "field data_use: expected a data use of the fideslang default taxonomy, got 'ai.magic'" in message
    assert "field data_subjects: 'robot' is not a data subject of the fideslang default taxonomy" in message
    assert "datamap.yaml: 2 problems" in message and "line " in message


def test_cli_stdout():
    code, out, err = run_cli("datamap", "--config", "zmo", *V5)
    assert code == 0, err
    assert yaml.safe_load(out) == datamap("zmo")


def test_cli_writes_atomically(tmp_path, monkeypatch):
    target = tmp_path / "map.yaml"
    assert run_cli("datamap", "--config", "default", "--out", target)[0] == 0  # an earlier manifest
    old = target.read_text()
    moves = []
    real_replace = os.replace

    def replace(src, dst):
        moves.append((os.path.dirname(src), os.path.basename(src), dst))
        assert target.read_text() == old  # the old file stays until the new one is complete
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    code, out, err = run_cli("datamap", "--config", "hardened", "--region", "eu", "--out", target, *V5)
    assert code == 0, err
    # main, customer storage, email provider, SendGrid (link-only emails); 8 features, each also
    # kept by Zoom for support and debugging (8), and SendGrid's samples of summary emails (1)
    assert out == f"wrote {target}: 4 systems, 17 privacy declarations\n"
    [(folder, name, dst)] = moves
    assert folder == str(tmp_path) and name.startswith(".map.yaml.") and str(dst) == str(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.yaml"]  # no temporary file left
    validate_manifest(yaml.safe_load(target.read_text()))
    assert yaml.safe_load(target.read_text()) == datamap("hardened", "EU")


def test_cli_unknown_configuration_keeps_the_file(tmp_path):
    target = tmp_path / "map.yaml"
    target.write_text("old\n")
    code, out, err = run_cli("datamap", "--config", "nope", "--out", target)
    assert code == 2 and out == "" and "Traceback" not in err
    assert err == (
        "zoomai: error: unknown configuration 'nope'; expected one of default, zmo, zdr, zmo_zdr, "
        "hardened, ai_off or a YAML file\n"
    )
    assert target.read_text() == "old\n" and sorted(p.name for p in tmp_path.iterdir()) == ["map.yaml"]


def test_cli_bad_out_folder(tmp_path):
    code, _, err = run_cli("datamap", "--out", tmp_path / "missing" / "map.yaml")
    assert code == 2 and "folder does not exist" in err and "Traceback" not in err


def test_retention_has_its_own_data_uses():
    # Zoom keeps content up to 30 days for support and debugging, providers for trust and safety,
    # SendGrid samples emails against fraud (whitepaper, Model Provider Data Storage and
    # Retention; Meetings - Continued footnote): each is a declaration of its own use
    manifest = datamap("default")
    support = declarations(manifest, "essential.service.operations.support")
    security = declarations(manifest, "essential.service.security")
    fraud = declarations(manifest, "essential.fraud_detection")
    assert len(support) == len(security) == 20  # every feature: Zoom and the model providers
    assert list(fraud) == ["Meetings: Meeting summary (anti-fraud and troubleshooting samples)"]
    summary = support["Meetings: Meeting summary (support and debugging)"]
    assert "egress" not in summary  # only Zoom, the system itself, keeps it
    assert summary["retention_period"].endswith("(Zoom)")


def test_no_training_statement_covers_content_only():
    # the no-training statement names communications-like content (audio, chat, whiteboard, ...):
    # names and e-mail addresses are not covered, and the data map says so
    meta = datamap("default")["system"][0]["meta"]
    assert "user.content.transcript" in meta["no_training_covers"]
    assert meta["training_not_addressed"] == ["user.contact.email", "user.name"]
    assert meta["no_training_statement"].startswith("whitepaper v5.0, Zoom's Commitment to Responsible AI")
