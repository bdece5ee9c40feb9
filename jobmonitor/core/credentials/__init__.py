"""The API key: kept in the OS keyring only, bound to the API origin, never logged.

Public faces: ``store.CredentialStore`` (look up, save, clear; environment override),
``backends`` (which keyring backend is usable and why not), ``keycheck.check_key`` (does the API
accept this key).
"""
