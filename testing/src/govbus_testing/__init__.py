"""govbus test helpers: import them from here, never through ``sys.path`` edits.

- ``govbus_testing.servers``: the pytest plugin (real servers for a session: configured,
  testcontainers or the local binaries) with the fixtures ``servers``, ``settings`` and
  ``nats_js``; a ``conftest.py`` loads it with ``pytest_plugins``.
- the helpers below (``govbus_testing.helpers``): hosts on those servers, probes, clocks;
- ``burst``, ``cluster``, ``deploy_nats``, ``office_corpus``, ``readme_examples``: drivers
  and data of the cross-service tests and of the benchmarks;
- the test-only services live in the package ``govbus_testplugins``. They are deliberately
  no entry points: ``govbus run`` without names hosts every installed service, and
  ``govbus contracts export`` every installed contract, so they are loaded by
  ``module:attribute`` (``govbus run govbus_testplugins.ledger:service``) and nowhere else.
"""

from govbus_testing.helpers import (
    IsolatedSettings,
    OfficeClock,
    bearer,
    consumer_backlog,
    eventually,
    isolated,
    office_gateway,
    provision,
    publish_again,
    pulled,
    running,
    service_process,
    stream_messages,
    write_as_another_replica,
)

__all__ = ["IsolatedSettings", "OfficeClock", "bearer", "consumer_backlog", "eventually",
           "isolated", "office_gateway", "provision", "publish_again", "pulled", "running",
           "service_process", "stream_messages", "write_as_another_replica"]
