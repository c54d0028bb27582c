"""The WSGI entry point for gunicorn: `sync_server.wsgi:app` (configured from the environment)."""

from sync_server import create_app

app = create_app()
