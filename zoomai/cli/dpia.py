"""`zoomai dpia`: the DPIA draft of a tenant, written into a folder (the work is in
zoomai.analysis.dpia and zoomai.reporting.dpia; HTML and PDF through the report pipeline)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from zoomai.analysis.configurations import get_configuration
from zoomai.analysis.dpia import dpia
from zoomai.cli.conventions import EXIT_FAILED, EXIT_OK, add_config, add_facts, epilog
from zoomai.core.atomic import check_replaceable, replace_folder
from zoomai.reporting.dpia import CNIL, MARKDOWN, write_files
from zoomai.reporting.engine import Task, execute
from zoomai.reporting.pdf import find_chromium
from zoomai.reporting.plan import Run
from zoomai.reporting.schedule import NOTEBOOKS_DIR
from zoomai.tenants.tables import load_tenant, resolve_tenant_path
from zoomai.tenants.usage import load_record, model_name

NOTEBOOK = "dpia"
CELL_TIMEOUT = 600  # seconds, as the default schedule's


class NotebookFailed(Exception):
    """The dpia notebook failed: nothing is written, exit 1."""


def is_dpia_folder(path: Path) -> bool:
    """A folder `zoomai dpia` wrote (it may be replaced by a new draft)."""
    return (path / MARKDOWN).is_file() and (path / CNIL).is_file()


def _spec(value: str) -> str:
    """A tenant or configuration as the notebook gets it: a name as it is, a path made absolute
    (the notebook runs in the output folder)."""
    path = Path(value)
    return str(path.resolve()) if path.suffix or len(path.parts) > 1 else value


def cmd_dpia(args: argparse.Namespace) -> int:
    # every input checked before the analysis runs
    check_replaceable(Path(args.out), is_dpia_folder, folder=True, what="DPIA folder")
    resolve_tenant_path(args.tenant)
    config, planned = get_configuration(args.config), get_configuration(args.planned)
    chromium = None if args.no_pdf else find_chromium()
    tenant = load_tenant(args.tenant)
    draft = dpia(tenant, config, planned, args.facts, model_name(load_record(args.tenant)))
    now = datetime.now(UTC).isoformat(timespec="seconds")
    run = Run(
        notebook=NOTEBOOK,
        source=NOTEBOOKS_DIR / f"{NOTEBOOK}.ipynb",
        job="dpia",
        tenant=draft.tenant_id,
        configuration=config.name,
        parameters={
            "tenant": _spec(args.tenant),
            "configuration": _spec(args.config),
            "planned": _spec(args.planned),
            "facts": args.facts,
            "run_id": f"dpia {now}",
        },
        output=NOTEBOOK,
        writes_summary=True,
    )
    try:
        with replace_folder(args.out, owned=is_dpia_folder, what="DPIA folder") as tmp:
            files = write_files(draft, tmp, now)
            meta = execute(
                Task(run, str(tmp), CELL_TIMEOUT, fresh_kernel=True, self_contained=True, chromium=chromium)
            )
            if meta["status"] != "ok":
                raise NotebookFailed(meta["error"])
            (tmp / f"{NOTEBOOK}.json").unlink()  # the pipeline's run record: not part of the draft
    except NotebookFailed as exc:
        print(f"zoomai: error: the dpia notebook failed, nothing written: {exc}", file=sys.stderr)
        return EXIT_FAILED
    written = sorted([*files, *meta["files"].values()])
    written.remove(f"{NOTEBOOK}.json")
    v = draft.verdict
    print(f"wrote {args.out}: {', '.join(written)}")
    print(f"DPIA required: {v['required']} ({v['reason']})")
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "dpia",
        help="a DPIA draft and record of processing for a tenant",
        description="Write the DPIA draft (GDPR Art. 35) of a tenant under a configuration into a folder: "
        "WP248 screening, the four parts of Art. 35(7), the risk register, the measures of a planned "
        "configuration with the residual risk, and the record of processing (Art. 30). Files: dpia.html "
        "and dpia.pdf (the report pipeline), dpia.md, cnil_pia.json (imports into the CNIL PIA tool), "
        "ropa.csv, ropa.xlsx, risk_register.csv, and the executed dpia.ipynb. The folder is written "
        "whole or not at all; an existing one is replaced only if zoomai dpia wrote it.",
        epilog=epilog(
            "zoomai dpia us_enterprise_defaults --out dpia/northwind",
            "zoomai dpia ./tenants/acme --config default --planned hardened --facts current --out dpia/acme",
            "zoomai dpia eu_company_zmo --no-pdf --out /tmp/dpia",
            status="exit status:\n  0  success\n  1  the dpia notebook failed (nothing written)\n"
            "  2  wrong input (option, file or value): one message on stderr naming it, nothing written",
        ),
    )
    p.add_argument("tenant", metavar="TENANT", help="a bundled tenant id or a tenant folder")
    add_config(p, several=False, default="default", help="the configuration in force (default: default)")
    p.add_argument(
        "--planned",
        default="hardened",
        metavar="NAME",
        help="the configuration whose options are the measures envisaged (default: hardened)",
    )
    add_facts(p)
    p.add_argument("--out", metavar="FOLDER", required=True, help="the folder to write (replaced whole)")
    p.add_argument("--no-pdf", action="store_true", help="skip the PDF (needs no chromium)")
    p.set_defaults(func=cmd_dpia)
