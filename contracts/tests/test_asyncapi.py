"""The AsyncAPI export is self-contained: every ``$ref`` in it resolves inside the document.

An integrator's AsyncAPI tooling (the reference parser, generators) resolves ``#/...`` against
the document's root, so a payload may not point at a ``$defs`` of its own. The shared schemas
live under ``components.schemas``; a payload there means what its JSON Schema file means.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from pydantic import BaseModel, Field

from govbus_contracts import Event, ServiceContract, all_contracts
from govbus_contracts.export import asyncapi_document, schema_files

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"


class Unresolved(LookupError):
    pass


def resolve(document: Any, ref: str) -> Any:
    """The node a local reference (a JSON Pointer after ``#``, RFC 6901) points at."""
    if not ref.startswith("#"):
        raise Unresolved(f"{ref}: not a reference inside the document")
    pointer = unquote(ref[1:])
    if pointer == "":
        return document
    if not pointer.startswith("/"):
        raise Unresolved(f"{ref}: not a JSON Pointer")
    node = document
    for token in pointer[1:].split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            raise Unresolved(f"{ref}: no {token!r} there")
    return node


def references(node: Any, path: str = "#") -> Iterator[tuple[str, str]]:
    """(where, reference) of every ``$ref`` anywhere in the tree."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield path, value
            else:
                yield from references(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from references(value, f"{path}/{i}")


def keys_anywhere(node: Any, wanted: str, path: str = "#") -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == wanted:
                yield f"{path}/{key}"
            yield from keys_anywhere(value, wanted, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from keys_anywhere(value, wanted, f"{path}/{i}")


def dangling(document: Any) -> list[str]:
    out = []
    for where, ref in references(document):
        try:
            resolve(document, ref)
        except Unresolved as e:
            out.append(f"{where}: {e}")
    return out


def expanded(node: Any, root: Any, seen: tuple[str, ...] = ()) -> Any:
    """``node`` with every reference replaced by what it points at (a cycle by its name)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            if ref in seen:
                return {"$cycle": ref.rsplit("/", 1)[-1].rsplit(".", 1)[-1]}
            target = expanded(resolve(root, ref), root, (*seen, ref))
            siblings = {k: expanded(v, root, seen) for k, v in node.items() if k != "$ref"}
            return {**target, **siblings} if siblings else target
        return {k: expanded(v, root, seen) for k, v in node.items()
                if k != "$defs" and k != "$id" and not k.startswith("x-govbus-")}
    if isinstance(node, list):
        return [expanded(v, root, seen) for v in node]
    return node


def test_every_reference_of_the_committed_asyncapi_document_resolves():
    document = json.loads((SCHEMAS / "asyncapi.json").read_text(encoding="utf-8"))
    refs = list(references(document))
    assert len(refs) > 100  # channels, operations, messages, payloads and their fields
    assert dangling(document) == []
    # No nested schema resource: a $defs or $id inside would need its own base for '#'.
    assert list(keys_anywhere(document, "$defs")) == []
    assert list(keys_anywhere(document, "$id")) == []


def test_every_payload_is_a_shared_schema_and_means_what_its_json_schema_file_means():
    contracts = all_contracts()
    document = asyncapi_document(contracts)
    assert dangling(document) == []
    files = {schema["$id"]: schema for schema in schema_files(contracts).values()}
    messages = document["components"]["messages"]
    assert messages
    for name, message in messages.items():
        payload = message["payload"]
        assert set(payload) == {"$ref"} and payload["$ref"].startswith(
            "#/components/schemas/"), name
        standalone = files[message["x-govbus-schema-id"]]
        assert expanded(payload, document) == expanded(standalone, standalone), name


def test_same_named_classes_of_two_services_stay_two_schemas():
    def contract_with_entry(service: str, field: str) -> ServiceContract:
        entry = type("Entry", (BaseModel,), {
            "__annotations__": {field: str}, "__module__": f"govbus_contracts.services.{service}",
            field: Field(max_length=10)})

        recorded = type("Recorded", (Event,), {
            "__annotations__": {"entries": list[entry]},  # type: ignore[valid-type]
            "__module__": f"govbus_contracts.services.{service}",
            "entries": Field(max_length=5)})
        contract = ServiceContract(service)
        contract.event("ledger", "recorded", recorded)
        return contract

    document = asyncapi_document([contract_with_entry("alpha", "seal"),
                                  contract_with_entry("beta", "stamp")])
    assert dangling(document) == []
    schemas = document["components"]["schemas"]
    assert {"alpha.Entry", "beta.Entry"} <= set(schemas)
    for service, field in (("alpha", "seal"), ("beta", "stamp")):
        message = document["components"]["messages"][f"gov_{service}_evt_ledger_recorded_v1"]
        payload = expanded(message["payload"], document)
        assert set(payload["properties"]["entries"]["items"]["properties"]) == {field}


@pytest.mark.parametrize(("ref", "found"), [
    ("#/components/schemas/A~1B", True), ("#/components/schemas/A%7E1B", True),
    ("#/$defs/A", False), ("#/components/schemas/missing", False), ("other.json#/x", False),
])
def test_the_resolver_follows_json_pointers(ref, found):
    document = {"components": {"schemas": {"A/B": {"type": "string"}}}}
    if found:
        assert resolve(document, ref) == {"type": "string"}
    else:
        with pytest.raises(Unresolved):
            resolve(document, ref)
