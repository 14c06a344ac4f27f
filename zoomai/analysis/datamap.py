"""fideslang data map: Zoom AI Companion under a configuration as a fides manifest.

`datamap()` turns the flows of a configuration (zoomai.analysis.flows) into a fideslang `System` with
one `PrivacyDeclaration` per available feature (its data categories, data use, data subjects,
egress to the parties that receive its content, the retention window in words, and what is
shared with third parties), plus one `System` per receiving party so every egress key
resolves, and the project's data-category extensions. How parties, purposes and data subjects
are mapped is data (data/datamap.yaml). The result is validated with fideslang's models and
the default taxonomy; anything invalid raises ZoomaiError.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
import yaml
from fideslang.default_taxonomy import DEFAULT_TAXONOMY
from fideslang.models import DataCategory, System, Taxonomy
from fideslang.relationships import get_referenced_missing_keys
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from zoomai.analysis.configurations import Configuration, get_configuration
from zoomai.analysis.flows import PARTY_NAMES, availability, flows_for, options_for
from zoomai.core.atomic import write_file
from zoomai.core.csvio import split_list
from zoomai.core.errors import DataError, ZoomaiError
from zoomai.core.paths import data_file
from zoomai.core.yamlio import problems_from, read_yaml
from zoomai.facts.factset import DEFAULT_FACTS, flow_inputs
from zoomai.facts.policy import UNBOUNDED, UNKNOWN, PartyKind, Policy
from zoomai.facts.taxonomy import load_data_categories

# fideslang's key for the users of a system (a DataFlow of type "user"), and the organisation
# every resource belongs to by default (fides creates it; manifests need not define it).
USER = "user"
DEFAULT_ORGANIZATION = "default_organization"
ENCRYPTION_FACTS = ("encryption_in_transit", "encryption_at_rest")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _taxonomy_keys(kind: str) -> frozenset[str]:
    return frozenset(item.fides_key for item in getattr(DEFAULT_TAXONOMY, kind))


class SystemSpec(Strict):
    fides_key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=1)
    system_type: str = Field(min_length=1)
    description: str = Field(min_length=1)


class PartyKindSpec(Strict):
    """How a kind of party appears in the data map (see data/datamap.yaml)."""

    flow: Literal["self", "system", "user"]
    system_type: str | None = None
    third_party: bool = False
    label: str | None = None

    @model_validator(mode="after")
    def _system_fields(self) -> PartyKindSpec:
        if self.flow == "system" and not (self.system_type and self.label):
            raise ValueError("a party kind with flow: system needs system_type and label")
        return self


def _data_use(value: str) -> str:
    if value not in _taxonomy_keys("data_use"):
        raise ValueError(f"expected a data use of the fideslang default taxonomy, got {value!r}")
    return value


class RetentionUse(Strict):
    """The data use of content kept under a retention fact, and its label."""

    data_use: Annotated[str, AfterValidator(_data_use)]
    label: str = Field(min_length=1)


class DatamapSpec(Strict):
    system: SystemSpec
    data_use: Annotated[str, AfterValidator(_data_use)]
    retention_uses: dict[str, RetentionUse]
    no_training_covers: list[str] = Field(min_length=1)
    data_subjects: dict[str, list[str]]
    party_kinds: dict[PartyKind, PartyKindSpec]

    @field_validator("retention_uses")
    @classmethod
    def _facts(cls, value: dict[str, RetentionUse], info: ValidationInfo) -> dict[str, RetentionUse]:
        known = (info.context or {}).get("retention_facts", ())
        bad = [f for f in value if f not in known]
        if bad:
            raise ValueError(f"{bad[0]!r} is not a retention fact of data/policy.yaml")
        return value

    @field_validator("data_subjects")
    @classmethod
    def _subjects(cls, value: dict[str, list[str]], info: ValidationInfo) -> dict[str, list[str]]:
        products = (info.context or {}).get("products", ())
        missing = [p for p in products if p not in value]
        unknown = [p for p in value if p not in products]
        if missing or unknown:
            raise ValueError(
                f"expected one entry per product {list(products)}; missing {missing}, unknown {unknown}"
            )
        known = _taxonomy_keys("data_subject")
        bad = sorted({s for subjects in value.values() for s in subjects} - known)
        if bad:
            raise ValueError(f"{bad[0]!r} is not a data subject of the fideslang default taxonomy")
        return value

    @field_validator("party_kinds")
    @classmethod
    def _every_kind(cls, value: dict[str, PartyKindSpec]) -> dict[str, PartyKindSpec]:
        missing = [k for k in PartyKind.__args__ if k not in value]
        if missing:
            raise ValueError(f"expected every party kind; missing {missing}")
        return value


def load_datamap_spec(path: Path | str | None = None) -> DatamapSpec:
    """The data-map choices of data/datamap.yaml (or `path`), validated against the fideslang
    default taxonomy and the policy's products; DataError names file, line and field."""
    return _load(Path(path) if path else data_file("datamap.yaml"))


@cache
def _load(path: Path) -> DatamapSpec:
    data, lines = read_yaml(path)
    try:
        policy = flow_inputs("current")[1]  # every product and retention fact of either fact set
        context = {"products": policy.products, "retention_facts": policy.retention_ids()}
        return DatamapSpec.model_validate(data or {}, context=context)
    except ValidationError as exc:
        raise DataError(path, problems_from(exc, lines)) from None


def party_key(party: str) -> str:
    """A party's fides key: 'Twilio SendGrid' -> 'twilio_sendgrid'."""
    return re.sub(r"[^a-z0-9]+", "_", party.lower()).strip("_")


def _severity(row: pd.Series) -> tuple[int, int]:
    """Sort key, worst window first: unbounded, unknown, then the longest bounded."""
    note = row["retention_note"]
    if note.startswith(UNBOUNDED):
        return (0, 0)
    if note.startswith(UNKNOWN):
        return (1, 0)
    return (2, -int(row["retention_max_days"]))


def retention_text(rows: pd.DataFrame) -> str:
    """The retention windows of a feature's flows in words, worst first, each with the parties
    whose longest window it is: 'unknown: the sources do not say (Email provider if emailed);
    up to 30 days (Zoom, OpenAI, Anthropic)'."""
    rows = rows.assign(_order=rows.apply(_severity, axis=1)).sort_values("_order", kind="stable")
    groups: dict[str, list[str]] = {}
    for row in rows.drop_duplicates(["party", "condition"]).itertuples(index=False):
        who = f"{row.party} {row.condition}" if row.condition else row.party
        groups.setdefault(row.retention_note, []).append(who)
    return "; ".join(f"{note} ({', '.join(names)})" for note, names in groups.items())


def _categories(rows: pd.DataFrame) -> list[str]:
    return sorted({key for cell in rows["data_category"] for key in split_list(cell)})


def _egress_key(party: str, kind: str, spec: DatamapSpec) -> str | None:
    flow = spec.party_kinds[kind].flow
    return None if flow == "self" else USER if flow == "user" else party_key(party)


def _declaration(rows: pd.DataFrame, spec: DatamapSpec) -> dict[str, Any]:
    first = rows.iloc[0]
    third = rows[rows["party_kind"].map(lambda k: spec.party_kinds[k].third_party)]
    parties: dict[str, list[str]] = {k: [] for k in spec.party_kinds if k in set(third["party_kind"])}
    for party, kind in third[["party", "party_kind"]].drop_duplicates().itertuples(index=False):
        if party != PARTY_NAMES.get(kind):
            parties[kind].append(party)
    egress = {_egress_key(p, k, spec) for p, k in rows[["party", "party_kind"]].itertuples(index=False)}
    egress.discard(None)
    return {
        "name": f"{first['product']}: {first['feature']}",
        "data_categories": _categories(rows),
        "data_use": spec.data_use,
        "data_subjects": spec.data_subjects[first["product"]],
        "ingress": [USER],
        "egress": sorted(egress) or None,
        "retention_period": retention_text(rows),
        "data_shared_with_third_parties": not third.empty,
        "third_parties": "; ".join(
            f"{spec.party_kinds[k].label}" + (f" ({', '.join(n)})" if n else "") for k, n in parties.items()
        )
        or None,
        "shared_categories": _categories(third),
    }


def _declarations(rows: pd.DataFrame, spec: DatamapSpec) -> list[dict[str, Any]]:
    """A feature's declaration for providing it, then one per retention use its flows rest on
    (the flows kept under that retention fact: support and debugging, trust and safety, ...)."""
    out = [_declaration(rows, spec)]
    facts = rows["basis"].map(lambda b: set(b.split("; ")))
    for fact, use in spec.retention_uses.items():
        kept = rows[facts.map(lambda f, fact=fact: fact in f)]
        if len(kept):
            declaration = _declaration(kept, spec)
            declaration.update(name=f"{declaration['name']} ({use.label})", data_use=use.data_use)
            out.append(declaration)
    return out


def _training(flows: pd.DataFrame, spec: DatamapSpec, policy: Policy) -> dict[str, Any]:
    """What the no-training statement covers among the data map's categories, and what not."""
    categories = _categories(flows)
    covered = [c for c in categories if any(c == k or c.startswith(k + ".") for k in spec.no_training_covers)]
    return {
        "no_training_statement": policy.cite("no_training_on_communications_content"),
        "no_training_covers": covered,
        "training_not_addressed": [c for c in categories if c not in covered],
    }


def _recipient(party: str, kind: str, rows: pd.DataFrame, spec: DatamapSpec, source: str) -> dict[str, Any]:
    kind_spec = spec.party_kinds[kind]
    locations = sorted(set(rows["location"]))
    return {
        "fides_key": party_key(party),
        "name": party,
        "system_type": kind_spec.system_type,
        "description": f"{kind_spec.label}: receives content from {source}; location: {', '.join(locations)}",
        "privacy_declarations": [],
        "meta": {"party_kind": kind, "locations": locations},
    }


def _international(flows: pd.DataFrame, region: str) -> bool:
    """Whether any flow is at a known region other than the hosting region."""
    known = flows["location"].str.fullmatch(r"[A-Z]{2}")
    return bool((known & (flows["location"] != region)).any())


def _build(
    config: Configuration, region: str, spec: DatamapSpec, policy: Policy, facts: str = DEFAULT_FACTS
) -> list[dict[str, Any]]:
    options = options_for(config, region, facts)
    flows = flows_for(options, policy=policy)
    key = f"{spec.system.fides_key}_{config.name}_{options.region.lower()}"
    name = f"{spec.system.name} ({config.name}, {options.region})"
    declarations = [
        declaration
        for _, rows in flows.groupby("feature_id", sort=False)
        for declaration in _declarations(rows, spec)
    ]
    egress, recipients = [], []
    for (party, kind), rows in flows.groupby(["party", "party_kind"], sort=False):
        target = _egress_key(party, kind, spec)
        if target is None:
            continue
        kind_of_flow = USER if target == USER else "system"
        egress.append({"fides_key": target, "type": kind_of_flow, "data_categories": _categories(rows)})
        if target != USER:
            recipients.append(_recipient(party, kind, rows, spec, name))
    inputs = flows[flows["direction"] == "input"]
    lost = availability(options, policy=policy).query("not available")
    doc = policy.documents.set_index("id").loc["whitepaper"]
    main = {
        "fides_key": key,
        "name": name,
        "system_type": spec.system.system_type,
        "description": " ".join(filter(None, [spec.system.description, config.description])),
        "meta": {
            "configuration": config.name,
            "region": options.region,
            "zmo": options.zmo_effective(policy),
            "zdr": options.zdr,
            "lost_features": lost["feature_id"].tolist(),
            "source": f"{doc['title']} v{doc['version']}"
            + ("" if facts == "v5.0" else "; Zoom's later pages (fact set current, data/sources.yaml)"),
            **_training(flows, spec, policy),
        },
        "ingress": [{"fides_key": USER, "type": USER, "data_categories": _categories(inputs)}]
        if len(inputs)
        else None,
        "egress": egress or None,
        "privacy_declarations": declarations,
        "does_international_transfers": _international(flows, options.region),
        "data_security_practices": " ".join(policy.fact(f)["statement"] for f in ENCRYPTION_FACTS),
    }
    return [main, *recipients]


def _validate(
    config: Configuration, systems: list[dict[str, Any]], extensions: list[DataCategory]
) -> list[System]:
    """fideslang models for the systems; ZoomaiError if fideslang or the taxonomy rejects them."""
    known = set(load_data_categories()["fides_key"])
    used = {c for s in systems for d in s["privacy_declarations"] for c in d["data_categories"]}
    if used - known:
        raise ZoomaiError(
            f"data map of {config.name!r}: data categories {sorted(used - known)} are neither in the "
            "fideslang default taxonomy nor in data/data_categories.yaml"
        )
    try:
        models = [System.model_validate(s) for s in systems]
    except ValidationError as exc:
        errors = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_url=False)
        )
        raise ZoomaiError(f"data map of {config.name!r} is not valid fideslang: {errors}") from None
    taxonomy = Taxonomy(
        data_category=[*DEFAULT_TAXONOMY.data_category, *extensions],
        data_use=DEFAULT_TAXONOMY.data_use,
        data_subject=DEFAULT_TAXONOMY.data_subject,
        system=models,
    )
    missing = get_referenced_missing_keys(taxonomy) - {DEFAULT_ORGANIZATION}
    if missing:
        raise ZoomaiError(f"data map of {config.name!r} refers to undefined fides keys {sorted(missing)}")
    return models


def datamap(
    configuration: str | Configuration, region: str = "US", facts: str = DEFAULT_FACTS
) -> dict[str, list[dict[str, Any]]]:
    """A fides manifest for a configuration, hosting region and fact set: {'system': [Zoom AI
    Companion, one system per receiving party], 'data_category': [the project's extensions]},
    validated with fideslang (ZoomaiError if invalid)."""
    config = get_configuration(configuration) if isinstance(configuration, str) else configuration
    policy = flow_inputs(facts)[1]
    ext = load_data_categories()
    ext = ext[ext["extension"]]
    extensions = [
        DataCategory(fides_key=r.fides_key, parent_key=r.parent_key, name=r.name, description=r.description)
        for r in ext.itertuples(index=False)
    ]
    models = _validate(config, _build(config, region, load_datamap_spec(), policy, facts), extensions)
    dump = {"mode": "json", "exclude_none": True, "exclude_defaults": True}
    return {
        "system": [m.model_dump(**dump) for m in models],
        "data_category": [c.model_dump(**dump) for c in extensions],
    }


def is_manifest(path: Path) -> bool:
    """A file `zoomai datamap --out` wrote (so it may be replaced): a YAML manifest with only
    `system` and `data_category`, whose first system is a Zoom AI Companion system."""
    try:
        data, _ = read_yaml(path)
        first = data["system"][0]["fides_key"]
    except (DataError, LookupError, TypeError):
        return False
    prefix = load_datamap_spec().system.fides_key + "_"
    return set(data) == {"system", "data_category"} and str(first).startswith(prefix)


def write_manifest(path: Path | str, manifest: dict[str, Any]) -> Path:
    """Write the manifest as YAML, atomically; never over a file that is not a manifest."""
    text = yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True, width=100)
    return write_file(path, text, is_manifest, what="data map manifest")
