"""The Activity panel: one line per finished call.

"Call to Mum answered, talked 2 min 4 s": the entry's name is "Call to Mum"
and its message the outcome's label (as the automation editor shows it,
lower case), so the line reads as one sentence, in the language Home
Assistant is set to.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from homeassistant.components.logbook.const import (
    LOGBOOK_ENTRY_MESSAGE,
    LOGBOOK_ENTRY_NAME,
)
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers.translation import async_get_cached_translations

from .codes import OUTCOME_ANSWERED, OUTCOME_FAILED, OUTCOMES
from .const import DOMAIN, EVENT_CALL_ENDED


def talk_time(seconds: float) -> str:
    """``2 min 4 s``: unit symbols, the same in every language."""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [
        f"{value} {unit}"
        for value, unit in ((hours, "h"), (minutes, "min"), (secs, "s"))
        if value
    ]
    return " ".join(parts) or "0 s"


def describe(hass: HomeAssistant, data: Mapping[str, Any]) -> dict[str, str]:
    """The logbook line of a ``connectcall_call_ended`` event's data."""
    texts = _texts(hass, hass.config.language) or _texts(hass, "en")
    outcome = data.get("outcome")
    if outcome not in OUTCOMES:
        outcome = OUTCOME_FAILED
    who = data.get("contact") or data.get("destination") or "?"
    label = texts[outcome]
    message = label[:1].lower() + label[1:]
    if outcome == OUTCOME_ANSWERED:
        talked = texts["talked"].format(
            duration=talk_time(float(data.get("duration") or 0))
        )
        message = f"{message}, {talked}"
    return {
        LOGBOOK_ENTRY_NAME: texts["call"].format(who=who),
        LOGBOOK_ENTRY_MESSAGE: message,
    }


def _texts(hass: HomeAssistant, language: str) -> dict[str, str]:
    """The outcomes' labels and the logbook's words in ``language``.

    Loaded at setup. The labels are the automation editor's (the selector's
    options); the words live in the translations' ``common`` section as
    ``logbook_*``, the only free-form section core's schema allows.
    """
    labels = f"component.{DOMAIN}.selector.outcome.options."
    words = f"component.{DOMAIN}.common.logbook_"
    texts = {
        key.removeprefix(labels): text
        for key, text in async_get_cached_translations(
            hass, language, "selector", DOMAIN
        ).items()
        if key.startswith(labels)
    }
    if not texts:
        return {}
    return texts | {
        key.removeprefix(words): text
        for key, text in async_get_cached_translations(
            hass, language, "common", DOMAIN
        ).items()
        if key.startswith(words)
    }


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Callable[[Event], dict[str, str]]], None],
) -> None:
    """Describe the call-ended event."""

    @callback
    def _describe(event: Event) -> dict[str, str]:
        return describe(hass, event.data)

    async_describe_event(DOMAIN, EVENT_CALL_ENDED, _describe)
