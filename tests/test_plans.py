"""A dial's input checked into a plan (plans.py), before anything is sent.

Pure: a dict of action data and the account's options in, a plan or the
field's translated input error out.
"""

from __future__ import annotations

from typing import Any

import pytest

from custom_components.connectcall.codes import CallMode
from custom_components.connectcall.const import DEFAULT_LIST_RING, WAIT_SLACK
from custom_components.connectcall.plans import (
    DialPlan,
    InvalidPlanError,
    build_plan,
    checked_flag,
)

OPTIONS = {"source": "0201234567"}


@pytest.fixture(autouse=True)
def _custom_integrations() -> None:
    """Replaces conftest's autouse fixture: no Home Assistant is started here."""


def test_a_list_rings_each_number_the_default_time() -> None:
    plan, wait = build_plan({"destination": ["0612345678", "0687654321"]}, OPTIONS)
    assert plan.destinations == ("0612345678", "0687654321")
    assert plan.ring_timeout == DEFAULT_LIST_RING
    assert plan.wait_bound == DEFAULT_LIST_RING + WAIT_SLACK
    assert plan.mode is CallMode.SOURCE_FIRST
    assert not wait


def test_the_account_s_options_are_the_defaults() -> None:
    options = OPTIONS | {"ring_timeout": 20, "mode": "simultaneous"}
    plan, _ = build_plan({"destination": "+31 6 1234 5678"}, options)
    assert (plan.destinations, plan.ring_timeout, plan.mode) == (
        ("+31612345678",),
        20.0,
        CallMode.SIMULTANEOUS,
    )


def test_a_contact_s_call_is_another_dial_than_its_number_s() -> None:
    """keep_active_call's ``same_dial`` compares these keys."""
    plan, _ = build_plan({"destination": "0612345678"}, OPTIONS)
    contact = DialPlan(**{**_fields(plan), "contact": "Mum"})
    assert plan.key != contact.key
    assert plan.key == build_plan({"destination": "0612345678"}, OPTIONS)[0].key


def _fields(plan: DialPlan) -> dict[str, Any]:
    return {name: getattr(plan, name) for name in DialPlan.__dataclass_fields__}


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"destination": []}, "invalid_destinations"),
        ({"destination": ["0612345678"] * 11}, "invalid_destinations"),
        ({"destination": "call me"}, "invalid_number"),
        ({"destination": "0612345678", "source": "x"}, "invalid_source"),
        ({"destination": "0612345678", "mode": 7}, "invalid_mode"),
        ({"destination": "0612345678", "wait": "yes"}, "invalid_wait"),
        ({"destination": "0612345678", "ring_timeout": 4}, "invalid_range"),
        ({"destination": "0612345678", "retry_busy": True}, "invalid_range"),
    ],
)
def test_bad_input_is_the_field_s_own_error(data: dict[str, Any], key: str) -> None:
    with pytest.raises(InvalidPlanError) as raised:
        build_plan(data, OPTIONS)
    assert raised.value.key == key


def test_a_flag_is_a_boolean_or_an_error() -> None:
    assert checked_flag({}, "keep_active_call") is False
    assert checked_flag({"keep_active_call": True}, "keep_active_call") is True
    with pytest.raises(InvalidPlanError):
        checked_flag({"keep_active_call": 1}, "keep_active_call")
