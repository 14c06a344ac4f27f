"""Subcommands of the analysis stage: parsing and printing; the work is in zoomai.analysis."""

from __future__ import annotations

import argparse
import sys

import yaml

from zoomai.analysis.configurations import get_configuration
from zoomai.analysis.datamap import datamap, write_manifest
from zoomai.analysis.exposure import compare, exposure, feature_status, totals, what_if
from zoomai.analysis.flows import flows_for, lost_features, options_for
from zoomai.cli.conventions import add_config, add_facts, add_format, epilog
from zoomai.core.output import write_table
from zoomai.tenants.tables import load_tenant, region_arg


def cmd_flows(args: argparse.Namespace) -> int:
    options = options_for(get_configuration(args.config), args.region, args.facts)
    table = lost_features(options) if args.lost else flows_for(options)
    write_table(table, args.format)
    return 0


def _register_flows(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "flows",
        help="data flows of a configuration",
        description="Every (feature, content item, party) flow under a configuration: "
        "location and retention window, with its basis in the policy data.",
        epilog=epilog(
            "zoomai flows --config hardened --region EU",
            "zoomai flows --config zmo --lost --format json",
            "zoomai flows --config my_config.yaml --format csv > flows.csv",
            "zoomai flows --config zmo --facts current",
        ),
    )
    add_config(p, several=False, default="default")
    add_facts(p)
    p.add_argument(
        "--region", type=region_arg, default="US", help="hosting region: US, EU, UK, CA, AU, JP, IN, ..."
    )
    add_format(p)
    p.add_argument("--lost", action="store_true", help="list the features unavailable instead")
    p.set_defaults(func=cmd_flows)


def cmd_exposure(args: argparse.Namespace) -> int:
    tenant = load_tenant(args.tenant)
    table = {"parties": exposure, "totals": totals, "features": feature_status}[args.view](
        tenant, args.config, facts=args.facts
    )
    write_table(table, args.format)
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    tenant = load_tenant(args.tenant)
    if args.what_if:
        table = what_if(tenant, args.what_if, facts=args.facts)
    else:
        table = compare(tenant, args.config, facts=args.facts)
    write_table(table, args.format)
    return 0


def _register_exposure(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "exposure",
        help="exposure of a tenant under a configuration",
        description="Flows weighted by the tenant's usage and effective settings: records, people, "
        "record-days, cross-border records and people without AI notice per party and data category.",
        epilog=epilog(
            "zoomai exposure us_enterprise_defaults --config hardened",
            "zoomai exposure ./tenants/acme --config zmo --view totals --format json",
        ),
    )
    p.add_argument("tenant", metavar="TENANT", help="a bundled tenant id or a tenant folder")
    add_config(p, several=False, default="default")
    p.add_argument(
        "--view",
        choices=("parties", "totals", "features"),
        default="parties",
        help="per party and data category (default), one total row, or features available and lost",
    )
    add_facts(p)
    add_format(p)
    p.set_defaults(func=cmd_exposure)

    p = sub.add_parser(
        "compare",
        help="compare configurations for a tenant, or rank single setting changes",
        description="Exposure totals of a tenant under several configurations side by side, with the "
        "Pareto-efficient ones marked; or, with --what-if BASE, single setting changes ranked.",
        epilog=epilog(
            "zoomai compare us_enterprise_defaults --config default,zmo,zdr,zmo_zdr,hardened,ai_off",
            "zoomai compare us_enterprise_defaults --what-if default --format json",
        ),
    )
    p.add_argument("tenant", metavar="TENANT", help="a bundled tenant id or a tenant folder")
    add_config(p, several=True, default="default,zmo,zdr", aliases=("--configs",))
    p.add_argument("--what-if", metavar="BASE", help="rank single setting changes on this configuration")
    add_facts(p)
    add_format(p)
    p.set_defaults(func=cmd_compare)


def cmd_datamap(args: argparse.Namespace) -> int:
    manifest = datamap(get_configuration(args.config), args.region, facts=args.facts)
    if args.out:
        write_manifest(args.out, manifest)
        declarations = len(manifest["system"][0]["privacy_declarations"])
        print(f"wrote {args.out}: {len(manifest['system'])} systems, {declarations} privacy declarations")
    else:
        sys.stdout.write(yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True, width=100))
    return 0


def _register_datamap(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "datamap",
        help="fideslang data map of a configuration",
        description="Write the flows of a configuration as a fides manifest (YAML): a fideslang "
        "System for Zoom AI Companion with one privacy declaration per available feature, the "
        "systems it sends content to, and the project's data-category extensions.",
        epilog=epilog(
            "zoomai datamap --config zmo --region US",
            "zoomai datamap --config hardened --out hardened.fides.yaml",
        ),
    )
    add_config(p, several=False, default="default")
    p.add_argument(
        "--region", type=region_arg, default="US", help="hosting region: US, EU, UK, CA, AU, JP, IN, ..."
    )
    p.add_argument(
        "--out", metavar="FILE", help="a file: write the manifest to it (atomically) instead of stdout"
    )
    add_facts(p)
    p.set_defaults(func=cmd_datamap)


def register(sub: argparse._SubParsersAction) -> None:
    _register_flows(sub)
    _register_exposure(sub)
    _register_datamap(sub)
