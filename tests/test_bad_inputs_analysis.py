"""Bad inputs of the analysis commands (`matrix`, `flows`, `exposure`, `compare`, `datamap`): CSV,
configuration YAML, Parquet, CLI flags and file-system states. Each case: exit status, a message
naming the file/line/field and what was expected, no traceback, nothing on disk changed."""

from __future__ import annotations

import errno
import os
import shutil
import time
from pathlib import Path

import pytest
from conftest import bad_input_case, check_refused

from zoomai.core import yamlio
from zoomai.core.paths import data_file
from zoomai.tenants.tables import tenants_dir

GOOD = "configurations:\n  mine:\n    zmo: true\n    settings:\n      chat.ai_compose.enable: false\n"
BOOL_KEY = "in_meeting.meeting_summary_with_ai_companion.enable"


def config(tmp: Path, text: str, name: str = "mine.yaml") -> Path:
    path = tmp / name
    path.write_text(text)
    return path


def matrix_copy(tmp: Path, keep_rows: int | None = None) -> Path:
    lines = data_file("feature_matrix.csv").read_text().splitlines(keepends=True)
    path = tmp / "matrix.csv"
    path.write_text("".join(lines if keep_rows is None else lines[: keep_rows + 1]))
    return path


# --------------------------------------------------------------------------------- matrix


def matrix_path_is_a_folder(tmp):
    return ["matrix", "--path", tmp], 2, [f"{tmp}: is a folder; expected a CSV file"]


def matrix_path_missing(tmp):
    return ["matrix", "--path", tmp / "none.csv"], 2, [f"{tmp / 'none.csv'}: file not found"]


def matrix_header_only(tmp):
    path = matrix_copy(tmp, keep_rows=0)
    return (
        ["matrix", "--path", path],
        2,
        [f"zoomai: error: {path}, line 2: no rows: the file has a header but no data\n"],
    )


def matrix_empty_file(tmp):
    path = tmp / "empty.csv"
    path.write_text("")
    return ["matrix", "--path", path], 2, [f"{path}, line 1: the file is empty; expected a header line"]


def matrix_not_utf8(tmp):
    path = tmp / "latin1.csv"
    path.write_bytes("product,feature\nMeetings,R\xe9sum\xe9\n".encode("latin-1"))
    return ["matrix", "--path", path], 2, [f"{path}: not UTF-8 text"]


def matrix_bad_boolean(tmp):
    path = matrix_copy(tmp)
    lines = path.read_text().splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    import csv
    import io

    rows = list(csv.reader(io.StringIO("".join(lines))))
    rows[3][header.index("zmo_eligible")] = "yes"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue())
    return (
        ["matrix", "--path", path],
        2,
        [f"{path}, line 4, column zmo_eligible: expected true or false, got 'yes'"],
    )


def matrix_bad_changes_version(tmp):
    return (
        ["matrix", "--changes", "4.0", "x"],
        2,
        ["argument --changes: expected a whitepaper version such as 4.0 or a fact set", "got 'x'"],
    )


def matrix_symlink_loop(tmp):
    (tmp / "loop.csv").symlink_to(tmp / "loop.csv")
    return (
        ["matrix", "--path", tmp / "loop.csv"],
        2,
        [f"{tmp / 'loop.csv'}: cannot read the file:", "symlink loop"],
    )


# ---------------------------------------------------------------------- configuration YAML


def flows_unknown_preset(tmp):
    return ["flows", "--config", "nope"], 2, ["unknown configuration 'nope'; expected one of default, zmo,"]


def flows_billion_laughs(tmp):
    lol = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    path = config(tmp, lol + "configurations:\n  mine:\n    description: *i\n")
    return (
        ["flows", "--config", path],
        2,
        [f"{path}, line 2: not valid YAML: aliases (*name) are not supported; write the value out in full"],
    )


def flows_self_alias(tmp):
    path = config(tmp, "configurations:\n  mine: &m\n    description: x\n    settings: *m\n")
    return (
        ["flows", "--config", path],
        2,
        [f"{path}, line 4: not valid YAML: aliases (*name) are not supported"],
    )


def flows_duplicate_key(tmp):
    path = config(tmp, "configurations:\n  mine:\n    zmo: true\n    zmo: false\n")
    return (
        ["flows", "--config", path],
        2,
        [
            f"{path}, line 4, field configurations.mine.zmo: "
            "duplicate key 'zmo': first on line 3, again on line 4"
        ],
    )


def flows_deep_nesting(tmp):
    path = config(tmp, "configurations:\n  mine:\n    description: " + "[" * 100 + "]" * 100 + "\n")
    return (
        ["flows", "--config", path],
        2,
        [f"{path}, line 3: not valid YAML: nested more than 64 levels deep"],
    )


def flows_too_large(tmp, monkeypatch):
    monkeypatch.setattr(yamlio, "MAX_YAML_BYTES", 1024)
    path = config(tmp, GOOD + "# " + "x" * 2000 + "\n")
    return ["flows", "--config", path], 2, [f"{path}: larger than 1 KiB; refusing to read it"]


def flows_unknown_setting(tmp):
    path = config(tmp, "configurations:\n  mine:\n    settings:\n      chat.nonsense: true\n")
    return (
        ["flows", "--config", path],
        2,
        [f"{path}, line 4, field configurations.mine.settings.chat.nonsense: unknown setting key"],
    )


def flows_bool_maybe(tmp):
    path = config(tmp, f"configurations:\n  mine:\n    settings:\n      {BOOL_KEY}: maybe\n")
    return (
        ["flows", "--config", path],
        2,
        [
            f"{path}, line 4, field configurations.mine.settings.{BOOL_KEY}: "
            "expected true or false, got 'maybe'"
        ],
    )


def flows_zmo_not_bool(tmp):
    path = config(tmp, "configurations:\n  mine:\n    zmo: perhaps\n")
    return (
        ["flows", "--config", path],
        2,
        [f"{path}, line 3, field configurations.mine.zmo:", "valid boolean"],
    )


def flows_routing_contradicts_zmo(tmp):
    # zmo: true is the older spelling of routing: zmo; with another routing it contradicts
    path = config(tmp, "configurations:\n  mine:\n    zmo: true\n    routing: zm_plus\n")
    return (
        ["flows", "--config", path],
        2,
        [f"{path}, line 4, field configurations.mine.routing:", "contradicts zmo: true"],
    )


def flows_routing_unknown(tmp):
    path = config(tmp, "configurations:\n  mine:\n    routing: zmplus\n")
    return (
        ["flows", "--config", path],
        2,
        [f"{path}, line 3, field configurations.mine.routing:", "'federated', 'zm_plus' or 'zmo'"],
    )


def flows_zm_plus_under_v5(tmp):
    # ZM+ is first documented by the current fact set (data/deployment_options.yaml)
    path = config(tmp, "configurations:\n  mine:\n    routing: zm_plus\n")
    return (
        ["flows", "--config", path, "--facts", "v5.0"],
        2,
        ["model routing 'zm_plus' is documented only in a later fact set than v5.0; choose --facts current"],
    )


def flows_unknown_fact_set(tmp):
    return ["flows", "--facts", "v6"], 2, ["argument --facts: invalid choice: 'v6'"]


def exposure_unknown_fact_set(tmp):
    return ["exposure", "us_enterprise_defaults", "--facts", "now"], 2, ["argument --facts: invalid choice"]


def flows_unknown_field(tmp):
    path = config(tmp, "configurations:\n  mine:\n    colour: blue\n")
    return (
        ["flows", "--config", path],
        2,
        [f"{path}, line 3, field configurations.mine.colour: unknown field"],
    )


def flows_not_a_mapping(tmp):
    path = config(tmp, "- just\n- a list\n")
    return (
        ["flows", "--config", path],
        2,
        [f"{path}, line 1, field configurations: expected a mapping of configuration names"],
    )


def flows_two_configurations(tmp):
    path = config(tmp, GOOD + "  other: {}\n")
    return ["flows", "--config", path], 2, [f"{path}: expected exactly one configuration, found 2"]


def flows_bad_name(tmp):
    path = config(tmp, "configurations:\n  Mine-1: {}\n")
    return (
        ["flows", "--config", path],
        2,
        [
            f"{path}, line 2, field configurations.Mine-1: "
            "String should match pattern '^[a-z][a-z0-9_]*$', got 'Mine-1'"
        ],
    )


def flows_tab_indented(tmp):
    path = config(tmp, "configurations:\n\tmine: {}\n")
    return ["flows", "--config", path], 2, [f"{path}, line 2: not valid YAML:"]


def flows_unhashable_key(tmp):
    path = config(tmp, "configurations:\n  ? [a, b]\n  : {}\n")
    return ["flows", "--config", path], 2, [f"{path}, line 2: not valid YAML: found unhashable key"]


def flows_python_tag(tmp):
    path = config(tmp, "configurations: !!python/object/apply:os.system ['echo hi']\n")
    return (
        ["flows", "--config", path],
        2,
        [f"{path}, line 1: not valid YAML: could not determine a constructor"],
    )


def flows_config_is_a_folder(tmp):
    (tmp / "dir.yaml").mkdir()
    return ["flows", "--config", tmp / "dir.yaml"], 2, [f"{tmp / 'dir.yaml'}: is a folder; expected a file"]


def flows_config_not_utf8(tmp):
    path = tmp / "mine.yaml"
    path.write_bytes(b"configurations:\n  mine:\n    description: \xff\n")
    return ["flows", "--config", path], 2, [f"{path}: not UTF-8 text (byte 41)"]


def flows_unknown_region(tmp):
    return (
        ["flows", "--region", "ZZ"],
        2,
        ["argument --region: expected a hosting region, one of US,", "got 'ZZ'"],
    )


def flows_empty_region(tmp):
    return ["flows", "--region", ""], 2, ["argument --region: expected a hosting region", "got ''"]


# ------------------------------------------------------------------------ exposure, compare


def tenant(tmp: Path) -> Path:
    return Path(shutil.copytree(tenants_dir() / "eu_company_zmo", tmp / "t"))


def exposure_corrupt_tenant(tmp):
    t = tenant(tmp)
    (t / "settings.parquet").write_bytes(b"not parquet at all")
    return ["exposure", t], 2, [f"{t}/settings.parquet: not a readable Parquet table"]


def exposure_bad_view(tmp):
    return (
        ["exposure", "eu_company_zmo", "--view", "everything"],
        2,
        ["argument --view: invalid choice: 'everything'"],
    )


def exposure_bad_config(tmp):
    path = config(tmp, "configurations:\n  mine:\n    zdr: [1]\n")
    return (
        ["exposure", "eu_company_zmo", "--config", path],
        2,
        [f"{path}, line 3, field configurations.mine.zdr:"],
    )


def exposure_unknown_tenant(tmp):
    missing = tmp / "nowhere"
    return (
        ["exposure", missing],
        2,
        [f"{missing}: not a tenant folder nor a bundled tenant id; bundled tenants:"],
    )


def exposure_folder_not_a_tenant(tmp):
    folder = tmp / "etc"
    folder.mkdir()
    return ["exposure", folder], 2, [f"{folder / 'tenants.parquet'}: missing table tenants.parquet"]


def compare_empty_configs(tmp):
    return (
        ["compare", "eu_company_zmo", "--configs", ""],
        2,
        ["argument --configs: expected a comma-separated list of names, got ''"],
    )


def compare_only_commas(tmp):
    return (
        ["compare", "eu_company_zmo", "--configs", ",,"],
        2,
        ["argument --configs: expected a comma-separated list of names, got ',,'"],
    )


def compare_unknown_config(tmp):
    return ["compare", "eu_company_zmo", "--configs", "default,nope"], 2, ["unknown configuration 'nope'"]


def compare_unknown_what_if(tmp):
    return ["compare", "eu_company_zmo", "--what-if", "nope"], 2, ["unknown configuration 'nope'"]


# ------------------------------------------------------------------------------ portfolio


def portfolio_unknown_tenant(tmp):
    return (
        ["portfolio", "eu_company_zmo", tmp / "nowhere"],
        2,
        [f"{tmp / 'nowhere'}: not a tenant folder nor a bundled tenant id"],
    )


def portfolio_corrupt_tenant(tmp):
    t = tenant(tmp)
    (t / "usage.parquet").write_bytes(b"not parquet at all")
    return ["portfolio", tmp], 2, [f"{t}/usage.parquet: not a readable Parquet table"]


def portfolio_unknown_config(tmp):
    return ["portfolio", "eu_company_zmo", "--config", "default,nope"], 2, ["unknown configuration 'nope'"]


def portfolio_bad_cluster(tmp):
    return (
        ["portfolio", "eu_company_zmo", "--cluster", "tcp://host"],
        2,
        ["argument --cluster: expected local (a Dask LocalCluster on this machine) or tcp://HOST:PORT"],
    )


def portfolio_unreachable_scheduler(tmp, monkeypatch):
    from zoomai.core import cluster

    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 1)
    address = "tcp://127.0.0.1:9"  # the discard port: nobody answers
    return (
        ["portfolio", "eu_company_zmo", "--cluster", address],
        2,
        [f"zoomai: error: --cluster {address}: no Dask scheduler answered within 1 s"],
    )


# -------------------------------------------------------------------------------- datamap


def datamap_out_is_a_users_file(tmp):
    (tmp / "notes.yaml").write_text("mine: true\n")
    return (
        ["datamap", "--out", tmp / "notes.yaml"],
        2,
        [
            f"{tmp / 'notes.yaml'}: exists and is not a data map manifest made by zoomai; "
            "refusing to replace it"
        ],
    )


def datamap_out_is_a_symlink(tmp):
    (tmp / "real.yaml").write_text("x\n")
    (tmp / "link.yaml").symlink_to(tmp / "real.yaml")
    return (
        ["datamap", "--out", tmp / "link.yaml"],
        2,
        [f"{tmp / 'link.yaml'}: is a symbolic link, expected a file"],
    )


def datamap_out_is_a_special_file(tmp):
    # a named pipe in tmp, never /dev/null: the old writer replaced whatever was there
    os.mkfifo(tmp / "pipe")
    return (
        ["datamap", "--out", tmp / "pipe"],
        2,
        [f"{tmp / 'pipe'}: is a special file (device, pipe or socket), expected a file"],
    )


def flows_config_with_a_nul(tmp):
    path = config(tmp, "configurations:\n  mine:\x00\n")
    return (
        ["flows", "--config", path],
        2,
        [f"{path}, line 2: not valid YAML: control character '\\x00' is not allowed"],
    )


def datamap_out_is_a_folder(tmp):
    return ["datamap", "--out", tmp], 2, [f"{tmp}: is a folder, expected a file"]


def datamap_out_folder_missing(tmp):
    return ["datamap", "--out", tmp / "no" / "map.yaml"], 2, [f"{tmp / 'no'}: folder does not exist"]


def datamap_out_under_a_file(tmp):
    (tmp / "f").write_text("x")
    return ["datamap", "--out", tmp / "f" / "map.yaml"], 2, [f"{tmp / 'f'}: is a file, not a folder"]


def datamap_out_under_a_symlink_loop(tmp):
    """The error formatter itself must survive a path it cannot resolve."""
    (tmp / "loop").symlink_to(tmp / "loop")
    return ["datamap", "--out", tmp / "loop" / "map.yaml"], 2, [f"{tmp / 'loop'}: folder does not exist"]


def datamap_disk_full(tmp, monkeypatch):
    real = os.fdopen

    class Full:
        def __init__(self, fd, *args, **kwargs):
            self.handle = real(fd, *args, **kwargs)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def write(self, data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fdopen", Full)
    return ["datamap", "--out", tmp / "map.yaml"], 2, ["zoomai: error: no space left on the device\n"]


def datamap_bad_region(tmp):
    return ["datamap", "--region", "Mars"], 2, ["argument --region: expected a hosting region", "got 'Mars'"]


CASES = [
    matrix_path_is_a_folder,
    matrix_path_missing,
    matrix_header_only,
    matrix_empty_file,
    matrix_not_utf8,
    matrix_bad_boolean,
    matrix_bad_changes_version,
    matrix_symlink_loop,
    flows_unknown_preset,
    flows_billion_laughs,
    flows_self_alias,
    flows_duplicate_key,
    flows_deep_nesting,
    flows_too_large,
    flows_unknown_setting,
    flows_bool_maybe,
    flows_zmo_not_bool,
    flows_routing_contradicts_zmo,
    flows_routing_unknown,
    flows_zm_plus_under_v5,
    flows_unknown_fact_set,
    exposure_unknown_fact_set,
    flows_unknown_field,
    flows_not_a_mapping,
    flows_two_configurations,
    flows_bad_name,
    flows_tab_indented,
    flows_unhashable_key,
    flows_python_tag,
    flows_config_is_a_folder,
    flows_config_not_utf8,
    flows_config_with_a_nul,
    flows_unknown_region,
    flows_empty_region,
    exposure_corrupt_tenant,
    exposure_bad_view,
    exposure_bad_config,
    exposure_unknown_tenant,
    exposure_folder_not_a_tenant,
    compare_empty_configs,
    compare_only_commas,
    compare_unknown_config,
    compare_unknown_what_if,
    datamap_out_is_a_users_file,
    datamap_out_is_a_symlink,
    datamap_out_is_a_special_file,
    datamap_out_is_a_folder,
    datamap_out_folder_missing,
    datamap_out_under_a_file,
    datamap_out_under_a_symlink_loop,
    datamap_disk_full,
    datamap_bad_region,
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__)
def test_bad_input(case, tmp_path, monkeypatch):
    args, code, expected = bad_input_case(case, tmp_path, monkeypatch)
    clock = time.monotonic()
    check_refused(tmp_path, args, code, expected)
    assert time.monotonic() - clock < 20  # no hang (the billion laughs ran for minutes before)
