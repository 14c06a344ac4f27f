"""The settings registry: every setting key zoomai understands, per key its product, type,
default, the levels that may set it, and where the key comes from.

Keys are Zoom REST API field paths wherever the API has the setting (source names the
endpoint, as documented in shared/zoom-api/field_map.json). Settings the whitepaper describes
but the API does not expose get project keys under `zoomai.` (source names the whitepaper
section). Which levels may set a key follows from its product and the whitepaper's control
hierarchy (policy facts *_level_products), so it is derived, not restated here.

Defaults are the value in force when no level sets the key. For AI Companion switches the
default is off: the whitepaper describes them as features administrators enable.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import pandas as pd

from zoomai.facts.policy import Policy, load_policy

LEVELS = ("account", "group", "site", "user")
API_ACCOUNT = "Zoom API GET /accounts/{accountId}/settings (also groups, users)"
API_PHONE = "Zoom API GET /phone/sites/{siteId} policy (also /phone/account_settings)"
WP_MEETINGS = "whitepaper v5.0, AI Companion Features > Meetings - Continued"
WP_CONTROLS = (
    "whitepaper v5.0, Putting You In Control of AI Companion Capabilities > Account Administrator Controls"
)
WP_FEATURES = "whitepaper v5.0, AI Companion Features"
TRUST_SAFETY = "Zoom Trust and Safety page (seed 002), meeting security features"


@dataclass(frozen=True)
class SettingSpec:
    """One setting key. `default` is the canonical text of the value (see `parse_value`)."""

    key: str
    product: str
    type: str  # bool | int | enum | str
    default: str | None
    source: str
    description: str
    choices: tuple[str, ...] = ()
    feature_id: str | None = None  # the matrix feature this key switches on, if any

    @property
    def api(self) -> bool:
        return not self.key.startswith("zoomai.")


def _switch(key: str, product: str, feature_id: str, source: str, description: str) -> SettingSpec:
    return SettingSpec(key, product, "bool", "false", source, description, feature_id=feature_id)


SETTINGS: tuple[SettingSpec, ...] = (
    # --- Meetings: AI Companion ------------------------------------------------------------
    _switch(
        "in_meeting.meeting_summary_with_ai_companion.enable",
        "Meetings",
        "meetings.meeting_summary",
        API_ACCOUNT,
        "Meeting summary with AI Companion.",
    ),
    SettingSpec(
        "in_meeting.meeting_summary_with_ai_companion.auto_enable",
        "Meetings",
        "bool",
        "false",
        API_ACCOUNT,
        "Start meeting summary automatically when meetings start.",
    ),
    SettingSpec(
        "in_meeting.meeting_summary_with_ai_companion.who_will_receive_summary",
        "Meetings",
        "enum",
        "3",
        API_ACCOUNT,
        "Who receives the summary: 1 host; 2 host, co-hosts, alternative hosts; 3 host and "
        "invitees in the organisation; 4 all invitees including external ones.",
        choices=("1", "2", "3", "4"),
    ),
    _switch(
        "in_meeting.ai_companion_questions.enable",
        "Meetings",
        "meetings.meeting_questions",
        API_ACCOUNT,
        "AI Companion meeting questions.",
    ),
    SettingSpec(
        "in_meeting.ai_companion_questions.auto_enable",
        "Meetings",
        "bool",
        "false",
        API_ACCOUNT,
        "Start meeting questions automatically.",
    ),
    SettingSpec(
        "in_meeting.ai_companion_questions.who_can_ask_questions",
        "Meetings",
        "enum",
        "3",
        API_ACCOUNT,
        "Who can ask: 1 all participants and invitees; 2 all participants from when they join; "
        "3 only the host; 4 participants and invitees in the organisation; 5 participants in "
        "the organisation from when they join.",
        choices=("1", "2", "3", "4", "5"),
    ),
    _switch(
        "recording.smart_recording.create_recording_highlights",
        "Meetings",
        "meetings.smart_recordings",
        API_ACCOUNT,
        "Smart recording: recording highlights.",
    ),
    _switch(
        "recording.smart_recording.create_smart_chapters",
        "Meetings",
        "meetings.smart_recordings",
        API_ACCOUNT,
        "Smart recording: smart chapters.",
    ),
    _switch(
        "recording.smart_recording.create_next_steps",
        "Meetings",
        "meetings.smart_recordings",
        API_ACCOUNT,
        "Smart recording: next steps.",
    ),
    _switch(
        "zoomai.meetings.virtual_background_generation.enable",
        "Meetings",
        "meetings.virtual_background_generation",
        WP_MEETINGS,
        "Virtual background generation (no API field).",
    ),
    SettingSpec(
        "zoomai.meetings.summary_email",
        "Meetings",
        "enum",
        "full_text",
        WP_MEETINGS,
        "Summary emails carry the full text or only a link (account, group and user level).",
        choices=("full_text", "link"),
    ),
    SettingSpec(
        "zoomai.meetings.summary_restrict_external_sharing",
        "Meetings",
        "bool",
        "false",
        WP_CONTROLS,
        "Restrict users from sharing summaries with people outside the organisation.",
    ),
    SettingSpec(
        "zoomai.meetings.summary_auto_delete.enable",
        "Meetings",
        "bool",
        "false",
        WP_CONTROLS,
        "Auto-delete meeting summaries.",
    ),
    SettingSpec(
        "zoomai.meetings.summary_auto_delete.days",
        "Meetings",
        "int",
        "365",
        WP_CONTROLS,
        "Days after which summaries are deleted when auto-delete is on.",
    ),
    # --- Meetings: recording retention and meeting security ------------------------------------
    SettingSpec(
        "recording.auto_delete_cmr", "Meetings", "bool", "false", API_ACCOUNT, "Auto-delete cloud recordings."
    ),
    SettingSpec(
        "recording.auto_delete_cmr_days",
        "Meetings",
        "enum",
        "30",
        API_ACCOUNT,
        "Days after which cloud recordings are deleted when auto-delete is on.",
        choices=("30", "60", "90", "120"),
    ),
    SettingSpec(
        "in_meeting.waiting_room",
        "Meetings",
        "bool",
        "true",
        f"{API_ACCOUNT}; {TRUST_SAFETY}",
        "Waiting room.",
    ),
    SettingSpec(
        "schedule_meeting.require_password_for_scheduling_new_meetings",
        "Meetings",
        "bool",
        "true",
        f"{API_ACCOUNT}; {TRUST_SAFETY}",
        "Require a passcode for new meetings.",
    ),
    SettingSpec(
        "meeting_authentication",
        "Meetings",
        "bool",
        "false",
        f"Zoom API GET /accounts/{{accountId}}/settings?option=meeting_authentication; {TRUST_SAFETY}",
        "Only authenticated users can join meetings.",
    ),
    # --- Email and Calendar ---------------------------------------------------------------------
    _switch(
        "zoomai.mail.email_compose.enable",
        "Email and Calendar",
        "email_and_calendar.email_compose",
        f"{WP_FEATURES} > Email and Calendar",
        "Email compose (no API field).",
    ),
    # --- Team Chat ----------------------------------------------------------------------------------
    _switch("chat.ai_compose.enable", "Team Chat", "team_chat.chat_compose", API_ACCOUNT, "Chat compose."),
    _switch(
        "chat.ai_summary.enable", "Team Chat", "team_chat.thread_summary", API_ACCOUNT, "Thread summary."
    ),
    _switch(
        "chat.ai_quick_schedule", "Team Chat", "team_chat.quick_scheduling", API_ACCOUNT, "Quick scheduling."
    ),
    _switch(
        "chat.ai_sentence_completion",
        "Team Chat",
        "team_chat.sentence_completion",
        API_ACCOUNT,
        "Sentence completion.",
    ),
    _switch("chat.ai_quick_reply", "Team Chat", "team_chat.quick_reply", API_ACCOUNT, "Quick reply."),
    SettingSpec(
        "chat.set_retention_period_in_cloud.enable",
        "Team Chat",
        "bool",
        "false",
        API_ACCOUNT,
        "Team Chat cloud retention period is set.",
    ),
    SettingSpec(
        "chat.set_retention_period_in_cloud.retention_period_of_direct_messages_and_group_conversation",
        "Team Chat",
        "str",
        None,
        API_ACCOUNT,
        "Cloud retention of direct messages and group chats, e.g. '30d', '2m', '1y'.",
    ),
    SettingSpec(
        "chat.set_retention_period_in_cloud.retention_period_of_channels",
        "Team Chat",
        "str",
        None,
        API_ACCOUNT,
        "Cloud retention of channels, e.g. '30d', '2m', '1y'.",
    ),
    # --- Whiteboard -------------------------------------------------------------------------------
    _switch(
        "zoomai.whiteboard.content_generation.enable",
        "Whiteboard",
        "whiteboard.content_generation",
        f"{WP_FEATURES} > Whiteboard",
        "Whiteboard content generation (no API field).",
    ),
    # --- Phone (site policies) ------------------------------------------------------------------
    _switch("phone.call_summary.enable", "Phone", "phone.call_summary", API_PHONE, "Call summary."),
    SettingSpec(
        "phone.call_summary.auto_call_summary",
        "Phone",
        "bool",
        "false",
        API_PHONE,
        "Start call summary automatically.",
    ),
    SettingSpec(
        "phone.call_summary.call_summary_start_prompt.enable",
        "Phone",
        "bool",
        "false",
        API_PHONE,
        "Play a prompt to the other party when call summary starts.",
    ),
    _switch(
        "phone.team_sms_thread_summary.enable",
        "Phone",
        "phone.sms_thread_summary",
        API_PHONE,
        "SMS thread summary.",
    ),
    _switch(
        "zoomai.phone.voicemail_tasks.enable",
        "Phone",
        "phone.voicemail_tasks",
        f"{WP_FEATURES} > Phone",
        "Voicemail tasks (no API field).",
    ),
    _switch(
        "zoomai.phone.voicemail_prioritization.enable",
        "Phone",
        "phone.voicemail_prioritization",
        f"{WP_FEATURES} > Phone",
        "Voicemail prioritization (no API field).",
    ),
    SettingSpec(
        "phone.auto_delete_data_after_retention_duration.enable",
        "Phone",
        "bool",
        "false",
        API_PHONE,
        "Auto-delete Phone data after a retention duration.",
    ),
    SettingSpec(
        "phone.auto_delete_data_after_retention_duration.voicemail_days",
        "Phone",
        "int",
        None,
        API_PHONE + " (items[type=voicemail], duration converted to days)",
        "Days voicemails (and their AI tasks and priorities) are kept when auto-delete is on.",
    ),
    # --- Clips and Events (account level only) --------------------------------------------------------
    _switch(
        "zoomai.clips.title_description_generation.enable",
        "Clips",
        "clips.title_and_description_generation",
        f"{WP_FEATURES} > Clips",
        "Clips title and description generation (no API field).",
    ),
    _switch(
        "zoomai.events.chat_compose.enable",
        "Events",
        "events.chat_compose",
        f"{WP_FEATURES} > Events",
        "Events lobby chat compose (no API field).",
    ),
    _switch(
        "zoomai.events.email_compose.enable",
        "Events",
        "events.email_compose",
        f"{WP_FEATURES} > Events",
        "Events email compose (no API field).",
    ),
    _switch(
        "zoomai.events.smart_compose.enable",
        "Events",
        "events.smart_compose",
        f"{WP_FEATURES} > Events",
        "Events smart compose (no API field).",
    ),
    _switch(
        "zoomai.events.image_generation.enable",
        "Events",
        "events.image_generation",
        f"{WP_FEATURES} > Events",
        "Events image generation (no API field).",
    ),
)

SPECS: dict[str, SettingSpec] = {s.key: s for s in SETTINGS}


def levels_for(product: str, policy: Policy | None = None) -> tuple[str, ...]:
    """Levels whose values count for `product`, per the whitepaper's control hierarchy."""
    policy = policy or load_policy()
    allowed = {
        "account": policy.value("account_level_products"),
        "group": policy.value("group_level_products"),
        "site": policy.value("site_level_products"),
        "user": policy.value("user_level_products"),
    }
    return tuple(level for level in LEVELS if product in allowed[level])


def parse_value(spec: SettingSpec, text: str) -> bool | int | str:
    """Canonical text -> typed value; ValueError saying what was expected."""
    if spec.type == "bool":
        if text not in ("true", "false"):
            raise ValueError(f"{spec.key}: expected true or false, got {text!r}")
        return text == "true"
    if spec.type == "int":
        if not text.isdigit():
            raise ValueError(f"{spec.key}: expected a whole number of days, got {text!r}")
        return int(text)
    if spec.type == "enum" and text not in spec.choices:
        raise ValueError(f"{spec.key}: expected one of {list(spec.choices)}, got {text!r}")
    return text


def format_value(spec: SettingSpec, value: object) -> str:
    """Typed value (or API JSON value) -> canonical text; ValueError if it does not fit."""
    if spec.type == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"expected true or false, got {value!r}")
        return "true" if value else "false"
    if spec.type == "int" or spec.type == "enum":
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError(
                f"expected {'a whole number' if spec.type == 'int' else list(spec.choices)}, got {value!r}"
            )
        text = str(value)
        parse_value(spec, text)
        return text
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {value!r}")
    return value


@cache
def registry_frame() -> pd.DataFrame:
    """The registry as a table: key, product, type, default, choices, levels, feature_id, api,
    source, description (choices and levels '|'-joined)."""
    return pd.DataFrame(
        [
            {
                "key": s.key,
                "product": s.product,
                "type": s.type,
                "default": s.default,
                "choices": "|".join(s.choices),
                "levels": "|".join(levels_for(s.product)),
                "feature_id": s.feature_id,
                "api": s.api,
                "source": s.source,
                "description": s.description,
            }
            for s in SETTINGS
        ]
    )


# Retention facts (policy.yaml) a customer setting can shorten: fact id -> (switch key, days key).
RETENTION_LIMITS: dict[str, tuple[str, str]] = {
    "cloud_recording_retention": ("recording.auto_delete_cmr", "recording.auto_delete_cmr_days"),
    "meeting_summary_retention": (
        "zoomai.meetings.summary_auto_delete.enable",
        "zoomai.meetings.summary_auto_delete.days",
    ),
    "team_chat_retention": (
        "chat.set_retention_period_in_cloud.enable",
        "chat.set_retention_period_in_cloud.retention_period_of_direct_messages_and_group_conversation",
    ),
    "voicemail_retention": (
        "phone.auto_delete_data_after_retention_duration.enable",
        "phone.auto_delete_data_after_retention_duration.voicemail_days",
    ),
}
# Further period keys that bound the same content: content posted in Team Chat may go to a
# channel, kept for the channels' period (the window is the longest of the periods).
RETENTION_EXTRA_PERIODS: dict[str, tuple[str, ...]] = {
    "team_chat_retention": ("chat.set_retention_period_in_cloud.retention_period_of_channels",),
}
# Days per retention-period unit, as Zoom writes them ("2m", or time_unit "month").
UNIT_DAYS = {"day": 1, "week": 7, "month": 30, "year": 365}
_PERIOD_UNITS = {unit[0]: days for unit, days in UNIT_DAYS.items()}


def period_days(text: str) -> int | None:
    """A retention period as days: '30' or '30d' -> 30, '2m' -> 60, '1y' -> 365; None if unreadable."""
    text = text.strip().lower()
    if text.isdigit():
        return int(text)
    number, unit = text[:-1], text[-1:]
    return int(number) * _PERIOD_UNITS[unit] if number.isdigit() and unit in _PERIOD_UNITS else None
