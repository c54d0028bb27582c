"""The supervisor console: a server-rendered web UI served by `sync_server` under `/console`.

Kept import-light on purpose: `sync_server.console.cases` (the pure case lifecycle) and the
catalogue must import without Flask. The blueprint lives in `sync_server.console.blueprint`.
"""
