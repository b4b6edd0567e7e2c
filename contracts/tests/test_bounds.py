"""Every string, list and number a client sends has a bound (issue 9): the walk covers every
command and query of every contract, nested parts included, so a new field without a bound
fails here the day it is added."""

from __future__ import annotations

from typing import Any

import pytest

from govbus_contracts import all_contracts
from govbus_contracts.export import message_schema

#: strings whose format bounds them
BOUNDED_FORMATS = {"date", "date-time", "time", "uuid", "duration"}

INPUTS = [(f"{spec.subject}", spec.request) for contract in all_contracts()
          for spec in [*contract.commands, *contract.queries]]


def decimal_bounds(node: dict[str, Any]) -> bool:
    """pydantic writes a Decimal as a number or a string; the number carries its bounds, which
    the validator applies to the string as well."""
    return node.get("type") == "number" and {"minimum", "maximum"} <= node.keys()


def unbounded(schema: dict[str, Any]) -> list[str]:
    """Paths of every string without maxLength, array without maxItems, number without both
    a minimum and a maximum, and map without maxProperties."""
    found: list[str] = []

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            node = schema["$defs"][node["$ref"].rsplit("/", 1)[-1]]
        return node

    def walk(node: dict[str, Any], path: str) -> None:
        node = resolve(node)
        for key in ("anyOf", "oneOf", "allOf"):
            variants = [resolve(v) for v in node.get(key, [])]
            for variant in variants:
                if variant.get("type") == "string" and any(
                        decimal_bounds(v) for v in variants):
                    continue  # a Decimal's string form: held to the number's bounds
                walk(variant, path)
        if "enum" in node or "const" in node:
            return
        kind = node.get("type")
        if kind == "string":
            if "maxLength" not in node and node.get("format") not in BOUNDED_FORMATS:
                found.append(f"{path}: string without maxLength")
        elif kind == "array":
            if "maxItems" not in node:
                found.append(f"{path}: array without maxItems")
            if "items" in node:
                walk(node["items"], f"{path}[]")
            for i, item in enumerate(node.get("prefixItems", [])):
                walk(item, f"{path}[{i}]")
        elif kind in ("integer", "number"):
            low = {"minimum", "exclusiveMinimum"} & node.keys()
            high = {"maximum", "exclusiveMaximum"} & node.keys()
            if not (low and high):
                found.append(f"{path}: {kind} without minimum and maximum")
        elif kind == "object" or "properties" in node:
            for name, sub in node.get("properties", {}).items():
                walk(sub, f"{path}.{name}")
            extra = node.get("additionalProperties")
            if isinstance(extra, dict):
                if "maxProperties" not in node:
                    found.append(f"{path}: map without maxProperties")
                walk(extra, f"{path}{{}}")

    walk(schema, "$")
    return found


def test_the_walk_finds_an_unbounded_field():
    from pydantic import Field

    from govbus_contracts import Command

    class Loose(Command):
        name: str
        departments: list[str] = Field(max_length=5)
        copies: int = Field(ge=1)

    assert unbounded(message_schema("gov.test.cmd.loose.v1", Loose)) == [
        "$.name: string without maxLength", "$.departments[]: string without maxLength",
        "$.copies: integer without minimum and maximum"]


@pytest.mark.parametrize(("subject", "model"), INPUTS, ids=[s for s, _ in INPUTS])
def test_every_field_a_client_sends_is_bounded(subject, model):
    assert unbounded(message_schema(subject, model)) == []


def test_adding_a_bound_to_a_command_field_is_compatible_within_its_major_version():
    from pydantic import Field

    from govbus_contracts import Command
    from govbus_contracts.export import compare

    class Before(Command):
        departments: list[str] = Field(default_factory=list)
        offset: int = 0
        title: str

    class After(Command):
        departments: list[str] = Field(default_factory=list, max_length=50)
        offset: int = Field(default=0, ge=0, le=100_000)
        title: str = Field(min_length=1, max_length=500)

    subject = "gov.test.cmd.bounded.v1"
    assert compare(message_schema(subject, Before), message_schema(subject, After)) == []
