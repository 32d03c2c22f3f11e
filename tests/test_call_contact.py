"""`connectcall.call_contact`: a quick-dial contact called by name."""

from __future__ import annotations

import asyncio
from types import MappingProxyType
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import (
    ConfigEntryDisabler,
    ConfigEntryState,
    ConfigSubentry,
    ConfigSubentryData,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.connectcall.const import DOMAIN, EVENT_CALL_ENDED
from custom_components.connectcall.contacts import comparable

from .helpers import (
    MUM,
    SOURCE,
    TALKED,
    ZOE,
    B,
    RunningSimulator,
    add_contact,
    add_second_account,
    call_contact,
    call_contact_waiting,
    calls_placed,
    commands,
    drain,
    ended,
    run,
    second_account,
    set_aliases,
    totals,
)


def placed(sim: RunningSimulator) -> list[tuple[str, str, int]]:
    """What the server rang: (source, destination, mode) per call."""
    return [(c.source, c.destination, c.mode) for c in sim.server.calls]


@pytest.fixture
async def contacts(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> MockConfigEntry:
    await add_contact(hass, init_integration, name="Mum", number="+31 6 1111 2222")
    await add_contact(
        hass,
        init_integration,
        name="Tante  Zoë",
        number=ZOE,
        source="0207654321",
        mode="simultaneous",
    )
    return init_integration


@pytest.mark.parametrize(
    ("said", "same"),
    [
        ("Mum", "Mum"),
        ("mum", "MUM"),
        ("  mum ", "Mum"),
        ("tante zoe", "Tante  Zoë"),
        ("TANTEZOË", "Tante Zoë"),
        ("Tante\tZoë", "tante zoë"),
        # A leading article or possessive, said or saved (en, nl).
        ("the front door", "Front door"),
        ("The  Front door", "front door"),
        ("de voordeur", "Voordeur"),
        ("het kantoor", "Kantoor"),
        ("my mum", "Mum"),
        ("mijn moeder", "Moeder"),
        ("Mum", "Onze mum"),
        ("een\u200b buur", "buur"),
    ],
)
def test_names_compare_without_case_accents_spaces(said: str, same: str) -> None:
    assert comparable(said) == comparable(same)


@pytest.mark.parametrize(
    ("said", "other"),
    [
        ("Mum", "Mam"),
        ("Zoë", "Zoa"),
        # Only a leading article goes: inside a name it is part of it.
        ("front the door", "front door"),
        ("theo", "o"),
        ("the the door", "door"),
    ],
)
def test_different_names_stay_different(said: str, other: str) -> None:
    assert comparable(said) != comparable(other)


@pytest.mark.parametrize("name", ["De", "the", "Het"])
def test_an_article_alone_is_a_name(name: str) -> None:
    assert comparable(name) == name.casefold()


async def test_call_the_front_door_rings_the_contact_front_door(
    hass: HomeAssistant, init_integration: MockConfigEntry, ha_sim: RunningSimulator
) -> None:
    """What the built-in agent hears ("call the front door") finds the
    contact as it was saved ("Front door")."""
    await add_contact(hass, init_integration, name="Front door", number="0301112233")
    response = await call_contact(hass, contact="the front door")
    assert placed(ha_sim) == [(SOURCE, "0301112233", 1)]
    assert response["attempts"] == [{"destination": "0301112233", "outcome": None}]


@pytest.mark.usefixtures("contacts")
async def test_call_by_name_rings_that_contact(
    hass: HomeAssistant, ha_sim: RunningSimulator
) -> None:
    response = await call_contact(hass, contact="  tante zoe ")
    # The contact's own number, source and mode (type 2: simultaneous).
    assert placed(ha_sim) == [("0207654321", ZOE, 2)]
    assert response["outcome"] is None  # without wait
    assert response["attempts"] == [{"destination": ZOE, "outcome": None}]


@pytest.mark.usefixtures("contacts")
async def test_wait_answers_with_the_contacts_name(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    response = await call_contact_waiting(hass, freezer, contact="MUM")
    assert response["outcome"] == "answered"
    assert response["answered_by"] == "Mum"
    assert placed(ha_sim) == [("0201234567", MUM, 1)]


@pytest.mark.usefixtures("contacts")
async def test_busy_contact(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    ha_sim.server.scenarios[MUM] = "busy"
    response = await call_contact_waiting(hass, freezer, contact="mum", ring_timeout=20)
    assert response["outcome"] == "busy"
    assert response["answered_by"] is None
    assert len(placed(ha_sim)) == 1


@pytest.mark.usefixtures("contacts")
async def test_ring_timeout_applies(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    ha_sim.server.scenarios[MUM] = "ringing_forever"
    response = await call_contact_waiting(hass, freezer, contact="Mum", ring_timeout=10)
    assert response["outcome"] == "no_answer"
    hang_up = next(r for r in ha_sim.server.requests if r.command == "hangUp")
    assert 10 <= hang_up.at - ha_sim.server.calls[0].started < 12


@pytest.mark.usefixtures("contacts")
async def test_unknown_name_lists_names_never_numbers(
    hass: HomeAssistant, ha_sim: RunningSimulator
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await call_contact(hass, contact="Dad")
    assert err.value.translation_key == "unknown_contact"
    message = str(err.value)
    assert "Dad" in message
    assert "Mum" in message
    assert "Tante  Zoë" in message
    assert not any(char.isdigit() for char in message)
    assert commands(ha_sim) == ["login"]  # the setup probe alone


@pytest.mark.usefixtures("init_integration")
async def test_no_contacts_at_all(
    hass: HomeAssistant, ha_sim: RunningSimulator
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await call_contact(hass, contact="Mum")
    assert err.value.translation_key == "no_contacts"
    assert commands(ha_sim) == ["login"]


@pytest.mark.usefixtures("contacts")
@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"contact": ""}, "invalid_contact"),
        ({"contact": "   "}, "invalid_contact"),
        ({"contact": "\u200b\u0301"}, "invalid_contact"),
        ({"contact": 5}, "invalid_contact"),
        ({"contact": "Mum", "wait": "yes"}, "invalid_wait"),
        ({"contact": "Mum", "ring_timeout": 2}, "invalid_range"),
        ({"contact": "Mum", "max_duration": 5}, "invalid_range"),
        ({"contact": "Mum", "config_entry_id": 5}, "invalid_config_entry"),
        ({"contact": "Mum", "config_entry_id": "nope"}, None),
    ],
)
async def test_bad_input_sends_nothing(
    hass: HomeAssistant, ha_sim: RunningSimulator, data: dict[str, Any], key: str | None
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await call_contact(hass, **data)
    if key is not None:
        assert err.value.translation_key == key
    assert commands(ha_sim) == ["login"]


async def test_a_name_in_two_accounts_is_ambiguous(
    hass: HomeAssistant,
    ha_sim: RunningSimulator,
    contacts: MockConfigEntry,
) -> None:
    """Names are unique per account; across accounts call_contact says
    ambiguous (README, `connectcall.call_contact`), sends nothing, and a
    config_entry_id decides it."""
    other = await add_second_account(hass, ha_sim, contacts)
    await add_contact(hass, other, name="mum", number="0644445555")
    start = ha_sim.server.count()
    with pytest.raises(ServiceValidationError) as err:
        await call_contact(hass, contact="Mum")
    assert err.value.translation_key == "ambiguous_contact"
    assert ha_sim.server.count() == start
    message = str(err.value)
    assert "Mum (alice)" in message
    assert "mum (bob)" in message
    assert "0644445555" not in message
    assert "6111" not in message
    assert placed(ha_sim) == []
    # Naming the account decides it.
    await call_contact(hass, contact="Mum", config_entry_id=other.entry_id)
    assert placed(ha_sim) == [("0201234567", "0644445555", 1)]


async def test_account_narrows_the_search(
    hass: HomeAssistant, ha_sim: RunningSimulator, contacts: MockConfigEntry
) -> None:
    other = await add_second_account(hass, ha_sim, contacts)
    with pytest.raises(ServiceValidationError) as err:
        await call_contact(hass, contact="Mum", config_entry_id=other.entry_id)
    assert err.value.translation_key == "no_contacts"
    await call_contact(hass, contact="Mum")  # found in alice's contacts alone
    assert placed(ha_sim) == [("0201234567", MUM, 1)]


async def test_an_edited_contact_applies_at_once(
    hass: HomeAssistant, ha_sim: RunningSimulator, contacts: MockConfigEntry
) -> None:
    sub_id = next(s for s, sub in contacts.subentries.items() if sub.title == "Mum")
    hass.config_entries.async_update_subentry(
        contacts,
        contacts.subentries[sub_id],
        title="Mama",
        data={"number": "0655556666"},
    )
    with pytest.raises(ServiceValidationError):
        await call_contact(hass, contact="Mum")
    await call_contact(hass, contact="mama")
    assert placed(ha_sim) == [("0201234567", "0655556666", 1)]


async def test_names_saved_before_articles_were_ignored_stay_callable(
    hass: HomeAssistant, init_integration: MockConfigEntry, ha_sim: RunningSimulator
) -> None:
    """ "The Office" and "Office" compare alike now; added before (the flow
    refuses the pair today), each is still called by its own name."""
    for name, number in (("The Office", "0301110001"), ("Office", "0301110002")):
        hass.config_entries.async_add_subentry(
            init_integration,
            ConfigSubentry(
                data=MappingProxyType({"number": number}),
                subentry_type="contact",
                title=name,
                unique_id=None,
            ),
        )
    await hass.async_block_till_done()
    await call_contact(hass, contact="the office")
    await call_contact(hass, contact="OFFICE")
    assert [c.destination for c in ha_sim.server.calls] == ["0301110001", "0301110002"]
    with pytest.raises(ServiceValidationError) as err:
        await call_contact(hass, contact="my office")
    assert err.value.translation_key == "ambiguous_contact"


# Contacts of other, unloaded, disabled or ignored accounts.


async def test_contact_of_an_unloaded_entry_is_found_not_unknown(
    hass: HomeAssistant,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """The only account, with its contact Mum, is not loaded (setup retrying, or
    disabled): ``call_contact Mum`` sends nothing, and its error is neither "no
    contacts yet" nor "no contact called Mum", which would send the user to add a
    contact they already have."""
    await add_contact(hass, init_integration, name="Mum", number=MUM)
    await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    start = ha_sim.server.count()
    with pytest.raises(ServiceValidationError) as err:
        await call_contact(hass, contact="Mum")
    assert ha_sim.server.count() == start
    assert err.value.translation_key not in ("no_contacts", "unknown_contact"), str(
        err.value
    )


async def test_call_contact_of_an_unloaded_entry_by_id_sends_nothing(
    hass: HomeAssistant,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    await add_contact(hass, init_integration, name="Mum", number=MUM)
    await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    start = ha_sim.server.count()
    with pytest.raises(ServiceValidationError) as err:
        await call_contact(
            hass, contact="Mum", config_entry_id=init_integration.entry_id
        )
    assert err.value.translation_key == "service_config_entry_not_loaded"
    assert ha_sim.server.count() == start


async def test_contact_of_a_disabled_or_retrying_account_says_not_loaded(
    hass: HomeAssistant,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    bob = second_account(ha_sim, init_integration)
    bob.add_to_hass(hass)
    await hass.config_entries.async_setup(bob.entry_id)
    await hass.async_block_till_done()
    await add_contact(hass, bob, name="Oma", number=ZOE)
    await hass.config_entries.async_set_disabled_by(
        bob.entry_id, ConfigEntryDisabler.USER
    )
    await hass.async_block_till_done()
    with pytest.raises(ServiceValidationError) as err:
        await call_contact(hass, contact="oma")
    assert err.value.translation_key == "service_config_entry_not_loaded"
    # An account whose server is unreachable (setup retry).
    carol = MockConfigEntry(
        domain=DOMAIN,
        title="carol",
        unique_id="http://127.0.0.1:9/api/carol",
        version=2,
        data=dict(init_integration.data) | {"url": "http://127.0.0.1:9/api/"},
        options=dict(init_integration.options),
        subentries_data=[
            ConfigSubentryData(
                data={"number": B},
                subentry_type="contact",
                title="Opa",
                unique_id=None,
            )
        ],
    )
    carol.add_to_hass(hass)
    await hass.config_entries.async_setup(carol.entry_id)
    await hass.async_block_till_done()
    assert carol.state is ConfigEntryState.SETUP_RETRY
    start = ha_sim.server.count()
    with pytest.raises(ServiceValidationError) as err:
        await call_contact(hass, contact="Opa")
    assert err.value.translation_key == "service_config_entry_not_loaded"
    assert ha_sim.server.count() == start
    assert B not in str(err.value)


async def test_disabled_accounts_contact_makes_the_name_ambiguous(
    hass: HomeAssistant,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    bob: MockConfigEntry,
) -> None:
    """A contact of a *disabled* account still takes part in the search, so
    that calling it says "not loaded" rather than "no such contact". So the
    loaded account's "Mum" is ambiguous by name alone ("every account's
    contacts are searched"); nothing is sent."""
    await add_contact(hass, init_integration, name="Mum", number=MUM)
    await add_contact(hass, bob, name="Mum", number=ZOE)
    await hass.config_entries.async_set_disabled_by(
        bob.entry_id, ConfigEntryDisabler.USER
    )
    await hass.async_block_till_done()
    start = ha_sim.server.count()
    with pytest.raises(ServiceValidationError) as err:
        await call_contact(hass, contact="Mum")
    assert err.value.translation_key == "ambiguous_contact"
    assert ha_sim.server.count() == start


async def test_ignored_entry_is_not_searched(
    hass: HomeAssistant,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    ignored = MockConfigEntry(
        domain=DOMAIN,
        title="ignored",
        unique_id="ignored",
        version=2,
        source="ignore",
        data={},
        subentries_data=[
            ConfigSubentryData(
                data={"number": B}, subentry_type="contact", title="Mum", unique_id=None
            )
        ],
    )
    ignored.add_to_hass(hass)
    await add_contact(hass, init_integration, name="Mum", number=MUM)
    await call_contact(hass, contact="Mum")
    assert calls_placed(ha_sim) == [MUM]


# Bad input, cancellation.


@pytest.mark.parametrize(
    "data",
    [
        {"contact": "Mum", "wait": "yes"},
        {"contact": "Mum", "ring_timeout": 1},
        {"contact": "Mum", "max_duration": float("nan")},
        {"contact": ["Mum"]},
        {"contact": "Mum", "config_entry_id": 42},
        {"contact": "\u200b"},
    ],
)
async def test_bad_call_contact_input_sends_nothing_and_names_no_number(
    hass: HomeAssistant,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    data: dict[str, Any],
) -> None:
    await add_contact(hass, init_integration, name="Mum", number=MUM)
    start = ha_sim.server.count()
    with pytest.raises(HomeAssistantError) as err:
        await call_contact(hass, **data)
    assert ha_sim.server.count() == start
    assert "1111" not in str(err.value)


async def test_cancelled_waiting_call_contact_leaves_the_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Cancelling a waiting call_contact leaves the call: followed to its
    end, counted once, announced once; no second call."""
    events = async_capture_events(hass, EVENT_CALL_ENDED)
    await add_contact(hass, init_integration, name="Mum", number=MUM)
    task = asyncio.create_task(call_contact(hass, contact="Mum", wait=True))
    await drain(hass)
    await run(hass, freezer, 3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await run(hass, freezer, 45)
    assert calls_placed(ha_sim) == [MUM]
    assert [(e["contact"], e["outcome"], e["duration"]) for e in ended(events)] == [
        ("Mum", "answered", TALKED)
    ]
    assert totals(hass, init_integration) == (1, TALKED)


async def test_a_call_button_alias_finds_its_contact(
    hass: HomeAssistant,
    ha_sim: RunningSimulator,
    contacts: MockConfigEntry,
) -> None:
    """ "mama" is an alias of Mum's button: compared like names; the response
    names the contact as saved."""
    set_aliases(hass, contacts, "Mum", "Mama", "moeder")
    response = await call_contact(hass, contact=" MAMA ")
    assert placed(ha_sim) == [("0201234567", MUM, 1)]
    assert response["contact"] == "Mum"
    await call_contact(hass, contact="Moeder")
    assert calls_placed(ha_sim) == [MUM, MUM]


async def test_a_contact_s_name_wins_over_another_s_alias(
    hass: HomeAssistant,
    ha_sim: RunningSimulator,
    contacts: MockConfigEntry,
) -> None:
    """An alias never makes a saved name ambiguous: "Mum" is Mum, although
    Tante Zoë's button answers to "mum" too; two aliases alike are refused."""
    set_aliases(hass, contacts, "Tante  Zoë", "mum", "auntie")
    await call_contact(hass, contact="mum")
    assert calls_placed(ha_sim) == [MUM]
    set_aliases(hass, contacts, "Mum", "auntie")
    with pytest.raises(ServiceValidationError) as err:
        await call_contact(hass, contact="auntie")
    assert err.value.translation_key == "ambiguous_contact"
    assert calls_placed(ha_sim) == [MUM]


async def test_respond_on_error_answers_a_failed_contact_call(
    hass: HomeAssistant,
    ha_sim: RunningSimulator,
    contacts: MockConfigEntry,
) -> None:
    """A known contact whose call fails: outcome error with the reason (the
    voice blueprint tells it from an unknown name, which still fails)."""
    ha_sim.sim.forced = (105, "NoChanges")
    response = await call_contact(hass, contact="Mum", respond_on_error=True)
    assert response["outcome"] == "error"
    assert response["contact"] == "Mum"
    assert response["error_key"] == "command_failed"
    with pytest.raises(ServiceValidationError):
        await call_contact(hass, contact="Dad", respond_on_error=True)
    with pytest.raises(ServiceValidationError):
        await call_contact(hass, contact="Mum", respond_on_error="yes")
