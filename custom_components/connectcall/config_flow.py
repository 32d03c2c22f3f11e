"""Config flow: credentials, reauth, reconfigure, options."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
    SubentryFlowResult,
)
from homeassistant.const import CONF_NAME, CONF_PASSWORD, CONF_URL, CONF_USERNAME
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import probatio

from .api import (
    DEFAULT_URL,
    ConnectCallClient,
    InvalidNumberError,
    InvalidURLError,
    normalize_number,
    normalize_url,
)
from .codes import CallMode
from .const import (
    CONF_MODE,
    CONF_NUMBER,
    CONF_POLL_INTERVAL,
    CONF_RING_TIMEOUT,
    CONF_SOURCE,
    DEFAULT_MODE,
    DEFAULT_POLL_INTERVAL,
    DOMAIN,
    SUBENTRY_CONTACT,
)
from .contacts import comparable, find_contacts
from .coordinator import ConnectCallConfigEntry
from .errors import flow_error

_TEXT = TextSelector()
_PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
_URL = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
_PHONE = TextSelector(TextSelectorConfig(type=TextSelectorType.TEL))


def _account_schema(*, with_source: bool) -> probatio.Schema:
    fields: dict[probatio.Marker, Any] = {
        probatio.Required(CONF_USERNAME): _TEXT,
        probatio.Required(CONF_PASSWORD): _PASSWORD,
        probatio.Required(CONF_URL, default=DEFAULT_URL): _URL,
    }
    if with_source:
        fields[probatio.Required(CONF_SOURCE)] = _PHONE
    return probatio.Schema(fields)


def _shown_again(user_input: dict[str, Any] | None) -> dict[str, Any]:
    """What a form with errors shows again: everything but the password."""
    return {k: v for k, v in (user_input or {}).items() if k != CONF_PASSWORD}


def unique_id_of(url: str, username: str) -> str:
    """One entry per account: the normalised API URL plus the username."""
    return f"{url}{username}"


def other_entry_has(hass: HomeAssistant, entry: ConfigEntry, unique_id: str) -> bool:
    """Another entry is that account already (reconfigure, the URL repair)."""
    return any(
        other.entry_id != entry.entry_id and other.unique_id == unique_id
        for other in hass.config_entries.async_entries(DOMAIN, include_ignore=False)
    )


async def async_probe(hass: HomeAssistant, data: dict[str, Any]) -> dict[str, str]:
    """Check the input and probe the account; errors by field.

    Normalises ``data`` in place (URL, source). The probe is a login
    without numbers: it places no call.
    """
    try:
        data[CONF_URL] = normalize_url(data[CONF_URL])
    except InvalidURLError:
        return {CONF_URL: "invalid_url"}
    if CONF_SOURCE in data:
        try:
            data[CONF_SOURCE] = normalize_number(data[CONF_SOURCE])
        except InvalidNumberError:
            return {CONF_SOURCE: "invalid_number"}
    client = ConnectCallClient(
        async_get_clientsession(hass),
        data[CONF_USERNAME],
        data[CONF_PASSWORD],
        data[CONF_URL],
    )
    try:
        await client.verify()
    except Exception as err:
        return {"base": flow_error(err)}
    return {}


class ConnectCallConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a Connect Call account."""

    # 2: the default source moved from data to options.
    VERSION = 2
    MINOR_VERSION = 1

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Quick-dial contacts, each its own device with a call button."""
        return {SUBENTRY_CONTACT: ContactSubentryFlow}

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConnectCallConfigEntry) -> OptionsFlow:
        """Defaults read at each dial (never a reload: it would end a call)."""
        return ConnectCallOptionsFlow()

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Credentials, API URL and the default source number."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = dict(user_input)
            if not (errors := await async_probe(self.hass, data)):
                await self.async_set_unique_id(
                    unique_id_of(data[CONF_URL], data[CONF_USERNAME])
                )
                self._abort_if_unique_id_configured()
                # data: what connects; the default source is an option.
                source = data.pop(CONF_SOURCE)
                return self.async_create_entry(
                    title=data[CONF_USERNAME], data=data, options={CONF_SOURCE: source}
                )
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                _account_schema(with_source=True), _shown_again(user_input)
            ),
            errors=errors,
        )

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """A login was refused: ask for the password again."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """New password for the same account."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**entry.data, CONF_PASSWORD: user_input[CONF_PASSWORD]}
            if not (errors := await async_probe(self.hass, data)):
                return self.async_update_reload_and_abort(
                    entry, data_updates={CONF_PASSWORD: user_input[CONF_PASSWORD]}
                )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=probatio.Schema({probatio.Required(CONF_PASSWORD): _PASSWORD}),
            description_placeholders={"username": entry.data[CONF_USERNAME]},
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Username, password and URL; never onto another configured account."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**entry.data, **user_input}
            if not (errors := await async_probe(self.hass, data)):
                unique_id = unique_id_of(data[CONF_URL], data[CONF_USERNAME])
                if other_entry_has(self.hass, entry, unique_id):
                    return self.async_abort(reason="already_configured")
                return self.async_update_reload_and_abort(
                    entry,
                    unique_id=unique_id,
                    title=data[CONF_USERNAME],
                    data_updates={
                        key: data[key]
                        for key in (CONF_USERNAME, CONF_PASSWORD, CONF_URL)
                    },
                )
        suggested = {
            CONF_USERNAME: entry.data[CONF_USERNAME],
            CONF_URL: entry.data[CONF_URL],
        } | _shown_again(user_input)
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                _account_schema(with_source=False), suggested
            ),
            errors=errors,
        )


class ConnectCallOptionsFlow(OptionsFlow):
    """Defaults for dials; read at each dial, so saving never reloads."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Source, mode, poll interval, ring timeout."""
        entry = self.config_entry
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                source = normalize_number(user_input[CONF_SOURCE])
            except InvalidNumberError:
                errors[CONF_SOURCE] = "invalid_number"
            else:
                return self.async_create_entry(data={**user_input, CONF_SOURCE: source})
        current = (
            {
                CONF_MODE: DEFAULT_MODE.value,
                CONF_POLL_INTERVAL: DEFAULT_POLL_INTERVAL,
            }
            | dict(entry.options)
            | (user_input or {})
        )
        schema = probatio.Schema(
            {
                probatio.Required(CONF_SOURCE): _PHONE,
                probatio.Required(CONF_MODE): _mode_selector(),
                probatio.Required(CONF_POLL_INTERVAL): NumberSelector(
                    NumberSelectorConfig(
                        min=1,
                        max=10,
                        step=1,
                        unit_of_measurement="s",
                        mode=NumberSelectorMode.SLIDER,
                    )
                ),
                probatio.Optional(CONF_RING_TIMEOUT): NumberSelector(
                    NumberSelectorConfig(
                        min=5,
                        max=300,
                        step=1,
                        unit_of_measurement="s",
                        mode=NumberSelectorMode.BOX,
                    )
                ),
            }
        )
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(schema, current),
            errors=errors,
        )


def _mode_selector() -> SelectSelector:
    return SelectSelector(
        SelectSelectorConfig(
            options=[mode.value for mode in CallMode],
            translation_key=CONF_MODE,
            mode=SelectSelectorMode.LIST,
        )
    )


class ContactSubentryFlow(ConfigSubentryFlow):
    """A quick-dial contact: name, number, optional source and mode."""

    def _validate(
        self, user_input: dict[str, Any], editing: str | None = None
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """Checked like the dial action's input; numbers normalised.

        A name must tell the contact apart from the account's others as
        call_contact compares names (``editing``: the contact being edited).
        """
        data: dict[str, Any] = {}
        name = str(user_input.get(CONF_NAME, "")).strip()
        if not comparable(name):
            # Nothing left to say or type: call_contact could never find it.
            return data, {CONF_NAME: "invalid_name"}
        if any(
            contact.subentry.subentry_id != editing
            for contact in find_contacts([self._get_entry()], name)
        ):
            return data, {CONF_NAME: "name_exists"}
        for key in (CONF_NUMBER, CONF_SOURCE):
            if (value := user_input.get(key)) in (None, "") and key == CONF_SOURCE:
                continue
            try:
                data[key] = normalize_number(str(value))
            except InvalidNumberError:
                return data, {key: "invalid_number"}
        if mode := user_input.get(CONF_MODE):
            data[CONF_MODE] = mode
        data[CONF_NAME] = name
        return data, {}

    def _form(
        self, step_id: str, values: Mapping[str, Any], errors: dict[str, str]
    ) -> SubentryFlowResult:
        schema = probatio.Schema(
            {
                probatio.Required(CONF_NAME): _TEXT,
                probatio.Required(CONF_NUMBER): _PHONE,
                probatio.Optional(CONF_SOURCE): _PHONE,
                probatio.Optional(CONF_MODE): _mode_selector(),
            }
        )
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(schema, values),
            errors=errors,
        )

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Add a contact."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data, errors = self._validate(user_input)
            if not errors:
                return self.async_create_entry(title=data.pop(CONF_NAME), data=data)
        return self._form("user", user_input or {}, errors)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Edit a contact: its device and button follow without a reload."""
        subentry = self._get_reconfigure_subentry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data, errors = self._validate(user_input, subentry.subentry_id)
            if not errors:
                return self.async_update_and_abort(
                    self._get_entry(), subentry, title=data.pop(CONF_NAME), data=data
                )
        values = {CONF_NAME: subentry.title, **subentry.data} | (user_input or {})
        return self._form("reconfigure", values, errors)
