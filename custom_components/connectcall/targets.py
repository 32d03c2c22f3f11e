"""What a trigger's or condition's config picks: accounts, contacts, outcomes.

A target holds devices of this integration (or areas, floors and labels
holding them): an account's device stands for all its calls, a contact's
device for the calls of its account to the contact's number, however they
were placed. No target: every account.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Final

from homeassistant.const import CONF_OPTIONS, CONF_TARGET
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    entity_registry as er,
)
from homeassistant.helpers.target import (
    TargetSelection,
    async_extract_referenced_entity_ids,
)
from homeassistant.helpers.typing import ConfigType
import probatio

from .codes import OUTCOME_RENAMED, OUTCOMES
from .const import CONF_NUMBER, DOMAIN
from .issues import async_outcome_renamed

ATTR_OUTCOME: Final = "outcome"

# The target was checked by Home Assistant (its fields) and is checked here
# (its devices). Only call_ended and last_call_outcome take an option: the
# outcomes (none: any).
PLAIN_SCHEMA: Final = probatio.Schema(
    {probatio.Optional(CONF_TARGET): object, probatio.Optional(CONF_OPTIONS): {}}
)
OUTCOME_SCHEMA: Final = probatio.Schema(
    {
        probatio.Optional(CONF_TARGET): object,
        probatio.Optional(CONF_OPTIONS, default={}): {
            # One outcome may be written without a list in YAML.
            probatio.Optional(ATTR_OUTCOME, default=[]): probatio.All(
                cv.ensure_list, [probatio.In((*OUTCOMES, *OUTCOME_RENAMED))]
            )
        },
    }
)


@dataclass(frozen=True, slots=True)
class Targeted:
    """The accounts (entry IDs) and contacts (entry ID, number) targeted."""

    accounts: frozenset[str]
    contacts: frozenset[tuple[str, str]]

    def covers(self, entry_id: str, number: str | None) -> bool:
        """A call of account ``entry_id`` to ``number`` is targeted."""
        return entry_id in self.accounts or (entry_id, number or "") in self.contacts


def validate_target(hass: HomeAssistant, target: ConfigType | None) -> None:
    """Every device or entity named must be a Connect Call account's or contact's."""
    selection = TargetSelection(target or {})
    devices = dr.async_get(hass)
    for device_id in selection.device_ids:
        device = devices.async_get(device_id)
        if device is None or not any(
            domain == DOMAIN for domain, _ in device.identifiers
        ):
            raise probatio.Invalid(
                f"Device {device_id} is not a Connect Call account or contact"
            )
    entities = er.async_get(hass)
    for entity_id in selection.entity_ids:
        entity = entities.async_get(entity_id)
        if entity is None or entity.platform != DOMAIN or entity.device_id is None:
            raise probatio.Invalid(
                f"Entity {entity_id} is not a Connect Call account's or contact's"
            )


def targeted(hass: HomeAssistant, target: ConfigType | None) -> Targeted | None:
    """What ``target`` picks now (areas and labels change); None: everything."""
    selection = TargetSelection(target or {})
    if not selection.has_any_target:
        return None
    registry = dr.async_get(hass)
    accounts: set[str] = set()
    contacts: set[tuple[str, str]] = set()
    selected = async_extract_referenced_entity_ids(hass, selection)
    entities = er.async_get(hass)
    # An entity stands for its device (a contact's Call button: the contact).
    device_ids = set(selected.referenced_devices) | {
        entity.device_id
        for entity_id in selected.referenced | selected.indirectly_referenced
        if (entity := entities.async_get(entity_id)) is not None
        and entity.platform == DOMAIN
        and entity.device_id is not None
    }
    for device_id in device_ids:
        device = registry.async_get(device_id)
        if device is None:
            continue  # removed since the automation was set up
        entry = hass.config_entries.async_get_entry(device.config_entry_id)
        if entry is None or entry.domain != DOMAIN:
            continue  # another integration's device in a targeted area
        if device.config_subentry_id is None:
            accounts.add(entry.entry_id)
        elif (subentry := entry.subentries.get(device.config_subentry_id)) is not None:
            contacts.add((entry.entry_id, subentry.data[CONF_NUMBER]))
    return Targeted(frozenset(accounts), frozenset(contacts))


class TargetedConfig:
    """The config check the triggers and the conditions share (a mixin)."""

    schema: ClassVar[probatio.Schema] = PLAIN_SCHEMA

    @classmethod
    async def async_validate_config(
        cls, hass: HomeAssistant, config: ConfigType
    ) -> ConfigType:
        """Options as the schema allows; devices of this integration only."""
        config = cls.schema(config)
        validate_target(hass, config.get(CONF_TARGET))
        if outcomes := config.get(CONF_OPTIONS, {}).get(ATTR_OUTCOME):
            renamed = [OUTCOME_RENAMED.get(outcome, outcome) for outcome in outcomes]
            if renamed != outcomes:
                # Saved before the rename: it keeps working, and a repair
                # says what to change.
                async_outcome_renamed(hass)
                options = config[CONF_OPTIONS] | {ATTR_OUTCOME: renamed}
                config = config | {CONF_OPTIONS: options}
        return config
