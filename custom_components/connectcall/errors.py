"""The client's errors as Home Assistant's: one table, one entry point per boundary.

Like ``peblar``'s exception handlers: the client (and the session keeper)
raise their own exceptions; only this module turns them into translated
Home Assistant errors, for actions, setup, polls and the flows. The actions'
input errors (``plans.InvalidPlanError``) become translated ones here too.
"""

from __future__ import annotations

from collections.abc import Iterator
import contextlib
from typing import Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    HomeAssistantError,
    ServiceValidationError,
)
from homeassistant.helpers.update_coordinator import UpdateFailed

from .api import (
    ConnectCallAuthenticationError,
    ConnectCallCommandError,
    ConnectCallError,
    ConnectCallResponseError,
)
from .const import DOMAIN, LOGGER
from .line import LineClosedError
from .plans import InvalidPlanError
from .session import CallMayBePlacedError

# The first match wins: the table goes from the most to the least specific.
# (exception, key of exceptions.* for actions and setup, key of the flows'
# form errors)
_TABLE: Final[tuple[tuple[type[ConnectCallError], str, str], ...]] = (
    (ConnectCallAuthenticationError, "auth_failed", "invalid_auth"),
    (CallMayBePlacedError, "call_uncertain", "cannot_connect"),
    (LineClosedError, "unloaded", "cannot_connect"),
    (ConnectCallCommandError, "command_failed", "cannot_connect"),
    (ConnectCallResponseError, "invalid_response", "cannot_connect"),
    (ConnectCallError, "cannot_connect", "cannot_connect"),
)


def _row(err: ConnectCallError) -> tuple[str, str]:
    return next((key, form) for kind, key, form in _TABLE if isinstance(err, kind))


def translated(key: str, **placeholders: str) -> HomeAssistantError:
    """A translated error of this integration (``exceptions.<key>``)."""
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders or None,
    )


def background_error(
    hass: HomeAssistant, entry: ConfigEntry, err: ConnectCallError
) -> None:
    """Work nobody awaits failed (a list in the background): reauth if refused.

    A refused login starts reauth, as at an action.
    """
    if isinstance(err, ConnectCallAuthenticationError):
        entry.async_start_reauth(hass)


@contextlib.contextmanager
def action_errors(hass: HomeAssistant, entry: ConfigEntry) -> Iterator[None]:
    """Actions (and buttons): a translated error; a refused login starts reauth."""
    try:
        yield
    except ConnectCallError as err:
        key, _ = _row(err)
        background_error(hass, entry, err)
        placeholders = (
            {"code": str(err.code)} if isinstance(err, ConnectCallCommandError) else {}
        )
        raise translated(key, **placeholders) from err


@contextlib.contextmanager
def setup_errors() -> Iterator[None]:
    """The setup's probe or resume failed: reauth, or retry later."""
    try:
        yield
    except ConnectCallError as err:
        key, _ = _row(err)
        if key == "auth_failed":
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key=key
            ) from err
        # Only an unreadable answer is told apart: the rest is "could not reach".
        raise UpdateFailed(
            translation_domain=DOMAIN,
            translation_key=key if key == "invalid_response" else "cannot_connect",
        ) from err


def poll_error(err: ConnectCallError) -> UpdateFailed:
    """A poll failed: the entities go unavailable until one succeeds."""
    failed = UpdateFailed(translation_domain=DOMAIN, translation_key="update_failed")
    failed.__cause__ = err
    return failed


def flow_error(err: Exception) -> str:
    """The config and repair flows' form error (``base``) for a failed probe."""
    if isinstance(err, ConnectCallError):
        return _row(err)[1]
    LOGGER.exception("Unexpected error while checking the account", exc_info=err)
    return "unknown"


def invalid_input(key: str, **placeholders: str) -> ServiceValidationError:
    """An action's input error (``exceptions.<key>``); nothing was sent."""
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders or None,
    )


@contextlib.contextmanager
def input_errors() -> Iterator[None]:
    """An action's refused input as its translated error; nothing was sent."""
    try:
        yield
    except InvalidPlanError as err:
        raise invalid_input(err.key, **err.placeholders) from None
