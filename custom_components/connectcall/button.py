"""Buttons: hang up (the account's device) and call (one per contact device)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.config_entries import (
    SIGNAL_CONFIG_ENTRY_CHANGED,
    ConfigEntry,
    ConfigEntryChange,
    ConfigSubentry,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import SUBENTRY_CONTACT
from .contacts import Contact
from .coordinator import ConnectCallConfigEntry, ConnectCallCoordinator
from .entity import ConnectCallEntity, contact_identifier
from .errors import action_errors, input_errors
from .plans import contact_plan
from .runner import DialResult

# Presses go through the coordinator's lock; no limit needed here.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class ConnectCallButtonDescription(ButtonEntityDescription):
    """A button and what pressing it does (given the contact, if any)."""

    press_fn: Callable[[ConnectCallCoordinator, str | None], Awaitable[None]]


async def _call_contact(
    coordinator: ConnectCallCoordinator, subentry_id: str | None
) -> None:
    """Dial the contact as it is now (an edit applies at once)."""
    assert subentry_id is not None
    entry = coordinator.config_entry
    with input_errors():
        plan, _ = contact_plan(Contact(entry, entry.subentries[subentry_id]), {})
    with action_errors(coordinator.hass, entry):
        await coordinator.plans.async_run(plan, DialResult(), wait=False)


async def _hang_up(coordinator: ConnectCallCoordinator, _: str | None) -> None:
    with action_errors(coordinator.hass, coordinator.config_entry):
        await coordinator.ending.async_hang_up()


HANG_UP = ConnectCallButtonDescription(
    key="hang_up", translation_key="hang_up", press_fn=_hang_up
)
CALL = ConnectCallButtonDescription(
    key="call", translation_key="call", press_fn=_call_contact
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ConnectCallConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the hang-up button, and a call button per contact as they come."""
    coordinator = entry.runtime_data
    async_add_entities([ConnectCallButton(coordinator, HANG_UP)])
    known: dict[str, str] = {}

    @callback
    def _sync_contacts() -> None:
        device_registry = dr.async_get(hass)
        for subentry in entry.subentries.values():
            if subentry.subentry_type != SUBENTRY_CONTACT:
                continue
            if subentry.subentry_id not in known:
                async_add_entities(
                    [ConnectCallButton(coordinator, CALL, subentry)],
                    config_subentry_id=subentry.subentry_id,
                )
            elif known[subentry.subentry_id] != subentry.title and (
                device := device_registry.async_get_device_by_identifier(
                    contact_identifier(entry, subentry), entry.entry_id
                )
            ):
                # A renamed contact: its device follows, no reload.
                device_registry.async_update_device(device.id, name=subentry.title)
            known[subentry.subentry_id] = subentry.title
        # Removed contacts: Home Assistant clears their devices and entities.
        for subentry_id in set(known) - set(entry.subentries):
            del known[subentry_id]

    @callback
    def _entry_changed(change: ConfigEntryChange, changed: ConfigEntry) -> None:
        if change is ConfigEntryChange.UPDATED and changed.entry_id == entry.entry_id:
            _sync_contacts()

    _sync_contacts()
    entry.async_on_unload(
        async_dispatcher_connect(hass, SIGNAL_CONFIG_ENTRY_CHANGED, _entry_changed)
    )


class ConnectCallButton(ConnectCallEntity, ButtonEntity):
    """A button of the account (hang up) or of a contact (call)."""

    entity_description: ConnectCallButtonDescription

    def __init__(
        self,
        coordinator: ConnectCallCoordinator,
        description: ConnectCallButtonDescription,
        subentry: ConfigSubentry | None = None,
    ) -> None:
        """A contact's button knows its subentry, to read it at each press."""
        super().__init__(coordinator, description, subentry)
        self._subentry_id = subentry.subentry_id if subentry else None

    @property
    def available(self) -> bool:
        """Pressing must stay possible while status polls fail."""
        return True

    async def async_press(self) -> None:
        """Hang up, or call the contact."""
        await self.entity_description.press_fn(self.coordinator, self._subentry_id)
