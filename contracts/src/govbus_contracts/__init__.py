"""govbus message contracts: what crosses the bus, and nothing else.

Importable alone (pydantic only), so that an integrator can ``pip install govbus-contracts``
and speak to the office's services without the rest of govbus.
"""

from govbus_contracts.base import Command, ContractModel, Event, Query, Reply
from govbus_contracts.envelope import Envelope, Principal
from govbus_contracts.errors import ErrorCode, ErrorReply, GovbusError
from govbus_contracts.registry import (
    CommandSpec,
    EventSpec,
    QuerySpec,
    ServiceContract,
    all_contracts,
)
from govbus_contracts.subjects import command_subject, event_subject, query_subject

__all__ = [
    "Command",
    "CommandSpec",
    "ContractModel",
    "Envelope",
    "ErrorCode",
    "ErrorReply",
    "Event",
    "EventSpec",
    "GovbusError",
    "Principal",
    "Query",
    "QuerySpec",
    "Reply",
    "ServiceContract",
    "all_contracts",
    "command_subject",
    "event_subject",
    "query_subject",
]
