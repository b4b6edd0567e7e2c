"""Handlers of the supervision service: workflow steps, queries and subscriptions."""
