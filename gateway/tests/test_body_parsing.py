"""The gateway's reading of a JSON body: bad bytes are bad input (422), never a 500."""

from __future__ import annotations

import pytest

from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_gateway.app import MAX_BODY_DEPTH, parse_body


@pytest.mark.parametrize(("raw", "said"), [
    (b'{"title": "\xff\xfe"}', "not UTF-8"),
    ('{"title": "通知"}'.encode("utf-16"), "not UTF-8"),
    (b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nests deeper"),
    (b'{"a": ' + b"[" * (MAX_BODY_DEPTH + 1) + b"]" * (MAX_BODY_DEPTH + 1) + b"}",
     "nests deeper"),
    (b'{"copies": ' + b"9" * 5000 + b"}", "more than 4300 digits"),
    (b'{"copies": NaN}', "NaN"),
    (b'{"copies": Infinity}', "Infinity"),
    (b'{"title": ', "not JSON"),
    (b"[1, 2]", "JSON object"),
])
def test_a_body_that_is_not_a_json_object_in_utf8_is_refused(raw, said):
    with pytest.raises(GovbusError) as caught:
        parse_body(raw)
    assert caught.value.code is ErrorCode.validation_failed
    assert said in caught.value.message


def test_a_body_of_the_office_is_read():
    deep = {"a": [[{"b": [1]}]]}
    assert parse_body('{"title": "关于做好春季防火工作的通知", "x": {"a": [[{"b": [1]}]]}}'
                      .encode()) == {"title": "关于做好春季防火工作的通知", "x": deep}
