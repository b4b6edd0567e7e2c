"""Credentials reach a real nats-server that requires them (as deploy/nats configures)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from govbus_kit.bus import connect_nats, make_broker, nats_servers
from govbus_kit.settings import Settings
from govbus_ops.infra import free_port, wait_for_port

BIN = Path(__file__).resolve().parents[2] / ".bin" / "nats-server"


@pytest.fixture
def secured_nats(tmp_path):
    if not BIN.exists():
        pytest.skip("nats-server not installed (make install)")
    port = free_port()
    conf = tmp_path / "nats.conf"
    conf.write_text(f"""
listen: 127.0.0.1:{port}
authorization {{ users = [ {{ user: documents, password: "s3cretPw" }} ] }}
""")
    proc = subprocess.Popen([str(BIN), "-c", str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        wait_for_port("127.0.0.1", port, 10)
        yield f"nats://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


async def test_user_and_password_from_settings_are_used(secured_nats):
    settings = Settings(nats_url=f"{secured_nats},{secured_nats}", nats_user="documents",
                        nats_password="s3cretPw")
    assert nats_servers(settings) == [secured_nats, secured_nats]
    nc = await connect_nats(settings)
    assert nc.is_connected
    await nc.close()
    broker = make_broker(settings)
    await broker.connect()
    await broker.stop()


async def test_wrong_password_is_refused(secured_nats):
    settings = Settings(nats_url=secured_nats, nats_user="documents", nats_password="wrong")
    with pytest.raises(Exception, match="(?i)authorization"):
        await connect_nats(settings)
