"""Translations: en and nl complete, and every key the code uses exists."""

from __future__ import annotations

import ast
import json
from pathlib import Path
import re
from typing import Any

from homeassistant.util.yaml import load_yaml_dict
import pytest

from custom_components.connectcall.codes import CALL_STATES, EVENT_TYPES, OUTCOMES
from custom_components.connectcall.condition import CONDITIONS
from custom_components.connectcall.trigger import TRIGGERS

ROOT = Path(__file__).parent.parent / "custom_components" / "connectcall"
LANGUAGES = ("en", "nl")


def _load(language: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (ROOT / "translations" / f"{language}.json").read_text()
    )
    return data


def _keys(tree: dict[str, Any], prefix: str = "") -> set[str]:
    out: set[str] = set()
    for key, value in tree.items():
        out |= (
            _keys(value, f"{prefix}{key}.")
            if isinstance(value, dict)
            else {prefix + key}
        )
    return out


def _code_keys(name: str) -> set[str]:
    """Every string passed as `name=` (or as an error helper's key) in code."""
    found: set[str] = set()
    for path in ROOT.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.keyword)
                and node.arg == name
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                found.add(node.value.value)
            if (
                name == "translation_key"
                and isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id
                in ("invalid_input", "translated", "checked_number", "InvalidPlanError")
                and node.args
                and isinstance(key := node.args[-1], ast.Constant)
                and isinstance(key.value, str)
            ):
                found.add(key.value)
            if (
                # errors.py's table: (exception, exceptions key, form error)
                name == "translation_key"
                and isinstance(node, ast.AnnAssign)
                and isinstance(node.target, ast.Name)
                and node.target.id == "_TABLE"
                and isinstance(node.value, ast.Tuple)
            ):
                found |= {
                    row.elts[1].value
                    for row in node.value.elts
                    if isinstance(row, ast.Tuple)
                    and isinstance(row.elts[1], ast.Constant)
                    and isinstance(row.elts[1].value, str)
                }
    return found


def test_same_keys_in_every_language() -> None:
    assert _keys(_load("en")) == _keys(_load("nl"))


def test_no_key_references_or_empty_texts() -> None:
    for language in LANGUAGES:
        text = (ROOT / "translations" / f"{language}.json").read_text()
        assert "[%key:" not in text
        texts = _texts(_load(language))
        assert len(texts) > 100  # the walk reaches the texts
        for path, value in texts:
            assert value.strip(), f"{language}: {path} is empty"


def _texts(node: object, path: str = "") -> list[tuple[str, str]]:
    """Every (dotted key, text) of a translation file."""
    if isinstance(node, dict):
        return [t for k, v in node.items() for t in _texts(v, f"{path}.{k}")]
    assert isinstance(node, str), path
    return [(path, node)]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_state_and_event_type(language: str) -> None:
    entity = _load(language)["entity"]
    assert set(entity["sensor"]["call_status"]["state"]) == set(CALL_STATES)
    event_states = entity["event"]["call"]["state_attributes"]["event_type"]["state"]
    assert set(event_states) == set(EVENT_TYPES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_exception_and_issue(language: str) -> None:
    strings = _load(language)
    used = _code_keys("translation_key")
    # The scan must see the code's keys, or this test could never fail.
    assert {
        "auth_failed",
        "invalid_number",
        "invalid_source",
        "update_failed",
        "call_status",
    } <= used
    entity_keys = {key for platform in strings["entity"].values() for key in platform}
    selector_keys = set(strings["selector"])
    issue_keys = set(strings["issues"])
    exceptions = set(strings["exceptions"])
    for key in used:
        assert key in exceptions | entity_keys | selector_keys | issue_keys, key
    for key in exceptions:
        assert "message" in strings["exceptions"][key]
    assert {"insufficient_funds", "insecure_url"} <= issue_keys


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_action_and_field(language: str) -> None:
    services = load_yaml_dict(ROOT / "services.yaml")
    strings = _load(language)["services"]
    assert set(strings) == set(services)
    for service, spec in services.items():
        assert strings[service]["name"]
        assert strings[service]["description"]
        assert set(strings[service]["fields"]) == set(spec.get("fields", {}))


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_match_english(language: str) -> None:
    en, other = _load("en"), _load(language)

    def texts(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
        out: dict[str, str] = {}
        for key, value in tree.items():
            if isinstance(value, dict):
                out |= texts(value, f"{prefix}{key}.")
            else:
                out[prefix + key] = value
        return out

    en_texts, other_texts = texts(en), texts(other)
    for key, text in en_texts.items():
        assert set(re.findall(r"{\w+}", text)) == set(
            re.findall(r"{\w+}", other_texts[key])
        ), key


def test_icons_cover_states_and_services() -> None:
    icons = json.loads((ROOT / "icons.json").read_text())
    assert set(icons["entity"]["sensor"]["call_status"]["state"]) == set(CALL_STATES)
    event = icons["entity"]["event"]["call"]["state_attributes"]["event_type"]["state"]
    assert set(event) == set(EVENT_TYPES)
    services = load_yaml_dict(ROOT / "services.yaml")
    assert set(icons["services"]) == set(services)


def _described(name: str) -> dict[str, Any]:
    """triggers.yaml or conditions.yaml without its anchors (``.name``)."""
    return {
        key: spec
        for key, spec in load_yaml_dict(ROOT / f"{name}.yaml").items()
        if not key.startswith(".")
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_trigger_condition_and_field(language: str) -> None:
    strings = _load(language)
    for section, code in (("triggers", TRIGGERS), ("conditions", CONDITIONS)):
        described = _described(section)
        assert set(described) == set(code) == set(strings[section])
        for key, spec in described.items():
            assert strings[section][key]["name"]
            assert strings[section][key]["description"]
            fields = strings[section][key].get("fields", {})
            assert set(fields) == set(spec.get("fields", {}))
            for field in spec.get("fields", {}).values():
                options = field["selector"]["select"]["options"]
                assert sorted(options) == sorted(OUTCOMES)
    assert set(strings["selector"]["outcome"]["options"]) == set(OUTCOMES)


def test_icons_cover_triggers_and_conditions() -> None:
    icons = json.loads((ROOT / "icons.json").read_text())
    assert set(icons["triggers"]) == set(_described("triggers"))
    assert set(icons["conditions"]) == set(_described("conditions"))


def test_service_limits_match_the_ui() -> None:
    """services.yaml's number selectors say what the handlers enforce."""
    from custom_components.connectcall.plans import LIMITS

    fields = load_yaml_dict(ROOT / "services.yaml")["dial"]["fields"]
    shown = {
        name: (field["selector"]["number"]["min"], field["selector"]["number"]["max"])
        for name, field in fields.items()
        if "number" in field["selector"]
    }
    assert shown == LIMITS


# The top-level sections core's hassfest allows in an integration's
# translations: `gen_strings_schema` in core's script/hassfest/translations.py
# (December 2026). A section outside it fails hassfest (and so HACS's review)
# while the texts still load at runtime, so no other test would notice.
HASSFEST_SECTIONS = frozenset(
    {
        "title",
        "config",
        "config_subentries",
        "options",
        "preview_features",
        "selector",
        "device_automation",
        "system_health",
        "config_panel",
        "application_credentials",
        "issues",
        "entity_component",
        "device",
        "entity",
        "exceptions",
        "services",
        "conditions",
        "triggers",
        "conversation",
        "common",
    }
)


@pytest.mark.parametrize(
    "path", sorted((ROOT / "translations").glob("*.json")), ids=lambda p: p.name
)
def test_only_sections_hassfest_allows(path: Path) -> None:
    sections = set(json.loads(path.read_text()))
    assert sections <= HASSFEST_SECTIONS, sections - HASSFEST_SECTIONS
