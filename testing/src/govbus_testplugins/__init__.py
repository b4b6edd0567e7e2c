"""Service plugins that exist only in the tests: a ledger that publishes, an audit that listens.

They are small on purpose: they prove the kit's promises (outbox, idempotency, dead letters)
with real servers, independently of any office service.
"""
