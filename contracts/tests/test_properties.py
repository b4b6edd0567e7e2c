"""Properties of every contract, generated from its exported JSON Schema (issue 9).

For every message of every service (commands, queries, replies, events):
- an instance the schema allows is either accepted by the model, then round-trips through
  JSON unchanged, or refused with a ``ValidationError`` (a rule the schema cannot say, such as
  "required when returned"), never another exception;
- any JSON value at all is accepted or refused the same way (what a hostile sender can put on
  the bus or in a request body).

Bounded in time: a few examples per message, a deadline per example, no example database.
The instances come from ``instances``, a strategy over the JSON Schema keywords pydantic
writes (hypothesis-jsonschema 0.23 does not run on the Hypothesis this project pins); a
keyword it does not know fails the test, so the generator grows with the schemas.
"""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from govbus_contracts import all_contracts
from govbus_contracts.export import message_schema

MESSAGES = [(subject, model) for contract in all_contracts()
            for subject, model in contract.models()]
BOUNDED = settings(max_examples=5, deadline=2000, database=None, derandomize=True,
                   suppress_health_check=list(HealthCheck))

#: any JSON value, as a hostile sender writes it
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                max_size=4),
    max_leaves=12)


#: keywords that describe and do not constrain
ANNOTATIONS = {"title", "description", "default", "$id", "x-govbus-subject",
               "x-govbus-schema-version", "$defs"}
KNOWN = ANNOTATIONS | {"$ref", "anyOf", "enum", "const", "type", "format", "pattern",
                       "minLength", "maxLength", "minimum", "maximum", "items", "minItems",
                       "maxItems", "properties", "required", "additionalProperties",
                       "maxProperties"}


def instances(node: dict[str, Any], root: dict[str, Any]) -> st.SearchStrategy[Any]:
    """JSON values that ``node`` (a part of the schema ``root``) allows; sizes kept small."""
    while "$ref" in node:
        node = root["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    unknown = set(node) - KNOWN
    assert not unknown, f"the generator does not know {sorted(unknown)}: teach it"
    if "const" in node:
        return st.just(node["const"])
    if "enum" in node:
        return st.sampled_from(node["enum"])
    if "anyOf" in node:
        return st.one_of([instances(v, root) for v in node["anyOf"]])
    kind = node.get("type", "object" if "properties" in node else None)
    if kind == "string":
        if node.get("format") == "date":
            return st.dates().map(lambda d: d.isoformat())
        if node.get("format") == "date-time":
            return st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat())
        low, high = node.get("minLength", 0), node.get("maxLength", 40)
        if "pattern" in node:
            return st.from_regex(node["pattern"], fullmatch=True).filter(
                lambda v: low <= len(v) <= high)
        return st.text(min_size=low, max_size=min(high, max(low, 40)))
    if kind == "integer":
        return st.integers(node.get("minimum"), node.get("maximum"))
    if kind == "number":
        low, high = node.get("minimum"), node.get("maximum")
        return st.integers(None if low is None else int(low), None if high is None else int(high)
                           ) | st.floats(low, high, allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "array":
        low = node.get("minItems", 0)
        return st.lists(instances(node.get("items", {}), root), min_size=low,
                        max_size=min(node.get("maxItems", 3), max(low, 3)))
    if kind == "object":
        properties = node.get("properties", {})
        required = set(node.get("required", []))
        fixed = st.fixed_dictionaries(
            {k: instances(v, root) for k, v in properties.items() if k in required},
            optional={k: instances(v, root) for k, v in properties.items() if k not in required})
        extra = node.get("additionalProperties")
        if isinstance(extra, dict) and not properties:
            return st.dictionaries(st.text(max_size=10), instances(extra, root),
                                   max_size=min(3, node.get("maxProperties", 3)))
        return fixed
    assert kind is None, f"the generator does not know type {kind}"
    return JSON


def accepted_or_refused(model: type[Any], data: Any) -> bool:
    """True when the model accepted ``data`` and the result round-trips through JSON; False
    when it refused it with a ValidationError; anything else raises."""
    try:
        message = model.model_validate(data)
    except ValidationError:
        return False
    again = model.model_validate_json(message.model_dump_json())
    assert again == message, f"{model.__name__} changed through JSON"
    assert json.loads(again.model_dump_json()) == json.loads(message.model_dump_json())
    return True


def test_every_service_has_messages():
    assert {c.name for c in all_contracts()} >= {"documents", "disclosure"}
    assert len(MESSAGES) > 100


@pytest.mark.parametrize(("subject", "model"), MESSAGES, ids=[s for s, _ in MESSAGES])
def test_what_the_schema_allows_validates_and_round_trips(subject, model):
    schema = message_schema(subject, model)

    accepted: list[bool] = []

    @BOUNDED
    @given(instances(schema, schema))
    def check(instance: Any) -> None:
        accepted.append(accepted_or_refused(model, instance))

    check()
    # Most of what the schema allows is a valid message: the schema says what the model wants.
    assert any(accepted), f"{model.__name__}: no instance the schema allows validated"


@pytest.mark.parametrize(("subject", "model"), MESSAGES, ids=[s for s, _ in MESSAGES])
def test_any_json_is_accepted_or_refused_never_a_crash(subject, model):
    @BOUNDED
    @given(st.dictionaries(st.sampled_from(sorted(model.model_fields) or ["x"]), JSON,
                           max_size=6) | JSON)
    def check(data: Any) -> None:
        accepted_or_refused(model, data)

    check()
