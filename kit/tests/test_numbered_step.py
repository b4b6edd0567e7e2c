"""A step that writes a number from a register (govbus_kit.workflow.Workflow.numbered_step,
govbus_kit.registers.SerialRegister.take_for): check the step, then take the number, then
write. A refusal (forbidden, an invisible or unknown case, a step out of order) spends no
serial; a retried command gets its first reply however many serials were given since; a
crash between taking the serial and writing it is repaired by the retry with the same
serial, never a second one."""

from __future__ import annotations

from enum import StrEnum

import pytest

from govbus_contracts import Command, Event, ServiceContract
from govbus_contracts.base import Reply
from govbus_contracts.envelope import Principal
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_kit.domain import Aggregate, Change, Emit, Outcome, act_as, require_status
from govbus_kit.memory import MemoryHost
from govbus_kit.registers import SerialRegister, Serials, register_id
from govbus_kit.service import CommandContext, Service
from govbus_kit.workflow import Workflow

CONTRACT = ServiceContract("numberedtest")


class Role(StrEnum):
    clerk = "clerk"


class Status(StrEnum):
    open = "待登记"
    registered = "已登记"


class Registered(Event):
    id: str
    number: str


class Register(Command):
    id: str


class Ack(Reply):
    id: str
    number: str | None
    version: int


REGISTERED = CONTRACT.event("case", "registered", Registered)
REGISTER = CONTRACT.command("register_case", Register, Ack)


class Case(Aggregate):
    status: Status = Status.open
    department: str = "办公室"
    number: str | None = None


def number_of(year: int, serial: int) -> str:
    return f"案〔{year}〕{serial}号"


NUMBERS = SerialRegister("case_register", number_of)
#: Set by a test: the rule fails once at its second call (the write after the check and the
#: take), as a crash between the two writes would.
CRASH: list[int] = []


def register(case: Case, serial: int, principal: Principal) -> Change[Case]:
    act_as(principal, Role.clerk, step="登记")
    require_status(case.status, (Status.open,), step="登记", what=f"案件{case.id}", id=case.id)
    if CRASH:
        CRASH[0] -= 1
        if CRASH[0] == 0:
            CRASH.clear()
            raise ConnectionError("store away after the serial was taken")
    number = number_of(2026, serial)
    return Change(case.model_copy(update={"status": Status.registered, "number": number}),
                  [Emit(REGISTERED, Registered(id=case.id, number=number))])


def visible(principal: Principal, case: Case | None, case_id: str) -> Case:
    if case is None or case.department != principal.department:
        raise GovbusError(ErrorCode.not_found, f"案件{case_id}不存在", id=case_id)
    return case


service = Service(CONTRACT)
CASES = Workflow("cases", Case, Ack, visible=visible,
                 ack=lambda c, v: Ack(id=c.id, number=c.number, version=v))


@service.command(REGISTER)
async def register_case(cmd: Register, ctx: CommandContext) -> Ack:
    return await NUMBERS.take_for(ctx, CASES, cmd.id, lambda case, serial: register(
        case, serial, ctx.principal), year=2026)


CLERK = Principal(subject="li", roles=frozenset({"clerk"}), department="办公室")
VIEWER = Principal(subject="wang", roles=frozenset({"viewer"}), department="办公室")
STRANGER = Principal(subject="zhao", roles=frozenset({"clerk"}), department="财务科")


@pytest.fixture
async def host() -> MemoryHost:
    CRASH.clear()
    host = MemoryHost(service)
    for case_id in ("c1", "c2", "c3"):
        def open_case(current: Case | None, case_id: str = case_id) -> Outcome[Case, int]:
            return Outcome(Case(id=case_id), 1)

        await host.ctx.repository("cases", Case).execute(case_id, open_case)
    return host


async def last_serial(host: MemoryHost) -> int:
    held = await host.ctx.repository("case_register", Serials).get(register_id(2026))
    return held.last_serial if held else 0


async def refused(code: ErrorCode, host: MemoryHost, case_id: str, who: Principal) -> None:
    with pytest.raises(GovbusError) as raised:
        await host.command(REGISTER, {"id": case_id}, who)
    assert raised.value.code is code, raised.value


async def test_a_refused_step_spends_no_serial(host: MemoryHost) -> None:
    await refused(ErrorCode.forbidden, host, "c1", VIEWER)
    await refused(ErrorCode.not_found, host, "c1", STRANGER)  # invisible: as unknown
    await refused(ErrorCode.not_found, host, "nope", CLERK)
    assert await last_serial(host) == 0
    first = await host.command(REGISTER, {"id": "c1"}, CLERK)
    assert first["number"] == "案〔2026〕1号"
    await refused(ErrorCode.invalid_transition, host, "c1", CLERK)  # registered already
    assert (await host.command(REGISTER, {"id": "c2"}, CLERK))["number"] == "案〔2026〕2号"
    assert await last_serial(host) == 2
    assert [e.data["number"] for e in host.memory.published(REGISTERED.subject)] == [
        "案〔2026〕1号", "案〔2026〕2号"]


async def test_a_retried_command_gets_its_first_reply_and_spends_nothing(
        host: MemoryHost) -> None:
    first = await host.command(REGISTER, {"id": "c1"}, CLERK, command_id="k1")
    await host.command(REGISTER, {"id": "c2"}, CLERK, command_id="k2")
    again = await host.command(REGISTER, {"id": "c1"}, CLERK, command_id="k1")
    assert again == first == {"id": "c1", "number": "案〔2026〕1号", "version": 2}
    assert await last_serial(host) == 2
    assert len(host.memory.published(REGISTERED.subject)) == 2


async def test_a_crash_after_the_take_is_repaired_by_the_retry_with_the_same_serial(
        host: MemoryHost) -> None:
    CRASH.append(2)
    with pytest.raises(ConnectionError):
        await host.command(REGISTER, {"id": "c1"}, CLERK, command_id="k1")
    assert await last_serial(host) == 1  # taken, not written
    case = await host.ctx.repository("cases", Case).get("c1")
    assert case is not None and case.number is None
    retried = await host.command(REGISTER, {"id": "c1"}, CLERK, command_id="k1")
    assert retried["number"] == "案〔2026〕1号" and await last_serial(host) == 1
    assert (await host.command(REGISTER, {"id": "c2"}, CLERK))["number"] == "案〔2026〕2号"
