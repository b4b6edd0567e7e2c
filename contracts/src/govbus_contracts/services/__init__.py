"""Contracts of the office's services shipped with this package, one subpackage each.

Nothing here lists them: each is an entry point in group ``govbus.contracts`` (see
contracts/pyproject.toml), as the contract of any other service distribution is.
"""
