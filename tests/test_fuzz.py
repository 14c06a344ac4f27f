"""Random mutations of valid inputs never give a traceback or a hang (hypothesis): a configuration
YAML (through `zoomai flows`), a schedule YAML (loaded and planned, as `zoomai report` does
before any kernel) and a Zoom settings JSON (read as `zoomai import-settings` does).

Each example must either be accepted or be refused with a ZoomaiError (exit 2 on the command
line), within the per-example deadline. Mutations are textual (characters inserted, deleted or
replaced, lines repeated: duplicate keys, aliases, broken quoting) and structural (a node of the
parsed document replaced by a random value, a key dropped).
"""

from __future__ import annotations

import json
import tempfile
from itertools import count
from pathlib import Path

import yaml
from conftest import REPO, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zoomai.core.errors import ZoomaiError
from zoomai.reporting.plan import plan
from zoomai.reporting.schedule import load_schedule
from zoomai.tenants.importer import read_export

FIXTURES = REPO / "tests" / "fixtures"
CONFIGURATION = """\
configurations:
  mine:
    description: Hardened, but summaries stay on
    zmo: true
    zdr: false
    settings:
      in_meeting.meeting_summary_with_ai_companion.enable: true
      in_meeting.meeting_summary_with_ai_companion.who_will_receive_summary: 2
      chat.ai_compose.enable: false
      recording.auto_delete_cmr: true
      recording.auto_delete_cmr_days: 30
"""
SCHEDULE = """\
workers: 2
cell_timeout_seconds: 60
jobs:
  - name: weekly
    notebooks: [tenant_chart]
    tenants: [eu_company_zmo]
    configurations: [default, zmo]
    parameters:
      region: EU
  - name: reference
    notebooks: [no_tenant]
    configurations: [default]
    parameters: {limit: 3}
"""
SETTINGS_JSON = (FIXTURES / "zoom_api" / "accounts-accountId-settings_GET.json").read_text()
# Characters that matter to YAML and JSON syntax, plus some that matter to neither.
SYNTAX = list("{}[]:,-&*!|>'\"#%@`\\\t\n ?0123456789.eE+") + ["true", "null", "~", "\ufeff", "\x00"]
# Per example: bounded time (no hang), few examples (the suite stays fast).
FUZZ = settings(max_examples=30, deadline=5000, suppress_health_check=[HealthCheck.too_slow])
_names = count()


@st.composite
def text_mutation(draw, text: str) -> str:
    """`text` with a few random edits."""
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        edit = draw(st.sampled_from(["insert", "delete", "replace", "repeat_line", "truncate"]))
        if edit == "insert":
            text = text[:at] + draw(st.sampled_from(SYNTAX)) + text[at:]
        elif edit == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 5)) :]
        elif edit == "replace":
            text = text[:at] + draw(st.sampled_from(SYNTAX)) + text[at + 1 :]
        elif edit == "repeat_line":
            lines = text.splitlines(keepends=True) or [""]
            i = min(at, len(lines) - 1)
            text = "".join(lines[: i + 1] + [lines[i]] + lines[i + 1 :])  # a duplicate key, often
        else:
            text = text[:at]
    return text


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)


@st.composite
def structural_mutation(draw, data):
    """`data` (parsed JSON/YAML) with one node replaced by a random value or one key dropped."""
    if isinstance(data, dict) and data and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(data, key=str)))
        if draw(st.booleans()):
            return {k: v for k, v in data.items() if k != key}
        return {**data, key: draw(structural_mutation(data[key]))}
    if isinstance(data, list) and data and draw(st.booleans()):
        i = draw(st.integers(0, len(data) - 1))
        return [*data[:i], draw(structural_mutation(data[i])), *data[i + 1 :]]
    return draw(JSON_VALUES)


def mutated(text: str, parse, dump) -> st.SearchStrategy[str]:
    return text_mutation(text) | structural_mutation(parse(text)).map(dump)


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    return path


def _yaml_dump(data) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


@FUZZ
@given(mutated(CONFIGURATION, yaml.safe_load, _yaml_dump))
def test_configuration_yaml_never_crashes(text):
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(Path(tmp), f"c{next(_names)}.yaml", text)  # a new name: loads are cached by path
        code, out, err = run_cli("flows", "--config", path, "--format", "csv")
    assert "Traceback" not in err
    assert (code == 0 and out) or (code == 2 and err.startswith("zoomai: error: ") and not out), (code, err)


@FUZZ
@given(mutated(SCHEDULE, yaml.safe_load, _yaml_dump))
def test_schedule_yaml_never_crashes(text):
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(Path(tmp), "schedule.yaml", text)
        try:
            schedule, source = load_schedule(path)
            plan(schedule, source, FIXTURES / "notebooks")
        except ZoomaiError as exc:
            assert str(exc).strip(), "an error without a message"


@FUZZ
@given(mutated(SETTINGS_JSON, json.loads, lambda d: json.dumps(d, indent=1)))
def test_settings_json_never_crashes(text):
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "export"
        src.mkdir()
        _write(src, "account_settings.json", text)
        try:
            read_export(src, tenant_id="fuzz", region="US")
        except ZoomaiError as exc:
            assert str(exc).strip(), "an error without a message"
