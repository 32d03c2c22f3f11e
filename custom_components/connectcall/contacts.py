"""Quick-dial contacts: finding one by the name (or alias) a person says or types."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final
import unicodedata

from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from .const import CONF_NUMBER, DOMAIN, SUBENTRY_CONTACT


@dataclass(frozen=True, slots=True)
class Contact:
    """A contact subentry and the account it belongs to."""

    entry: ConfigEntry
    subentry: ConfigSubentry

    @property
    def name(self) -> str:
        """The contact's name (its subentry title)."""
        return self.subentry.title

    @property
    def button_unique_id(self) -> str:
        """The unique ID of the contact's Call button."""
        return f"{self.entry.entry_id}_{self.subentry.subentry_id}_call"

    def aliases(self, hass: HomeAssistant) -> list[str]:
        """The voice aliases the user gave the contact's Call button.

        Home Assistant's own (Settings > Voice assistants): "mama" for the
        contact "Mum". The entity's computed name, which an alias list may
        hold as a placeholder, is no alias.
        """
        registry = er.async_get(hass)
        entity_id = registry.async_get_entity_id(
            "button", DOMAIN, self.button_unique_id
        )
        entity = registry.async_get(entity_id) if entity_id else None
        if entity is None:
            return []
        return [alias for alias in entity.aliases if isinstance(alias, str)]


# A leading article or possessive that a person says and a saved name lacks
# (or has): "call the front door" is the contact "Front door" (en, nl).
LEADING_WORDS: Final = frozenset(
    {"the", "a", "an", "my", "our", "de", "het", "een", "mijn", "onze", "ons"}
)


def comparable(name: str) -> str:
    """``name`` without case, accents, spaces or a leading article.

    "Tante  Zoë" ~ "tantezoe", "the Front door" ~ "frontdoor": a voice
    transcript or a typed name rarely has the accents and spacing of the
    contact as it was saved, and the built-in agent's own sentences skip the
    articles too. An article alone ("De") stays a name.
    """
    decomposed = unicodedata.normalize("NFKD", name)
    # Marks and invisible format characters (zero-width space) go first, so
    # they cannot hide an article or split a word.
    kept = "".join(
        char
        for char in decomposed.casefold()
        if not unicodedata.combining(char) and unicodedata.category(char) != "Cf"
    )
    words = kept.split()
    if len(words) > 1 and words[0] in LEADING_WORDS:
        words = words[1:]
    return "".join(words)


def contacts_of(entries: Iterable[ConfigEntry]) -> list[Contact]:
    """Every contact of ``entries``, in the order they were added."""
    return [
        Contact(entry, subentry)
        for entry in entries
        for subentry in entry.subentries.values()
        if subentry.subentry_type == SUBENTRY_CONTACT
    ]


def find_contacts(
    entries: Iterable[ConfigEntry], name: str, hass: HomeAssistant | None = None
) -> list[Contact]:
    """The contacts of ``entries`` called ``name`` (compared as above).

    Of several, the ones saved with the very words said (case aside): "The
    Office" and "Office", both saved before articles were ignored, stay
    callable by their own names. With ``hass``, a name no contact has is
    looked up among the Call buttons' voice aliases: a contact's own name
    always wins over another's alias.
    """
    wanted = comparable(name)
    contacts = contacts_of(entries)
    found = [contact for contact in contacts if comparable(contact.name) == wanted]
    if not found and hass is not None:
        return [
            contact
            for contact in contacts
            if any(comparable(alias) == wanted for alias in contact.aliases(hass))
        ]
    words = name.casefold().split()
    exact = [contact for contact in found if contact.name.casefold().split() == words]
    return exact if len(found) > 1 and exact else found


def contact_name(entry: ConfigEntry, number: str | None) -> str | None:
    """The name of the account's contact with this (normalised) number."""
    return next(
        (
            contact.name
            for contact in contacts_of([entry])
            if number is not None and contact.subentry.data[CONF_NUMBER] == number
        ),
        None,
    )
