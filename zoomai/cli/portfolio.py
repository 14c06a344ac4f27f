"""`zoomai portfolio`: exposure of many tenants under many configurations, one table."""

from __future__ import annotations

import argparse

from zoomai.analysis.portfolio import expand_tenants, portfolio_exposure
from zoomai.cli.conventions import add_cluster, add_config, add_facts, add_format, epilog, positive
from zoomai.core.output import write_table


def cmd_portfolio(args: argparse.Namespace) -> int:
    table = portfolio_exposure(
        expand_tenants(args.tenants), args.config, args.cluster, args.workers, facts=args.facts
    )
    write_table(table, args.format)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "portfolio",
        help="exposure totals of every tenant under every configuration, one table",
        description="One row per (tenant, configuration): the totals of `zoomai exposure --view totals` "
        "and whether the configuration is Pareto-efficient for the tenant. One task per tenant, on "
        "worker processes or a Dask cluster (--cluster).",
        epilog=epilog(
            "zoomai portfolio /tmp/portfolio --format csv",
            "zoomai portfolio us_enterprise_defaults eu_company_zmo --config default,zmo,hardened",
            "zoomai portfolio /shared/portfolio --cluster tcp://10.0.0.5:8786 --format csv",
        ),
    )
    p.add_argument(
        "tenants",
        nargs="+",
        metavar="TENANT",
        help="bundled tenant ids, tenant folders, or folders of tenant folders (a portfolio)",
    )
    add_config(
        p, several=True, default=None, help="comma-separated presets or YAML files (default: every preset)"
    )
    p.add_argument("--workers", type=positive, help="parallel tenants (default: min(4, CPUs))")
    add_cluster(p)
    add_facts(p)
    add_format(p)
    p.set_defaults(func=cmd_portfolio)
