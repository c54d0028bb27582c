"""Shared schema: the one truth about records, rules, forms and merging.

Imported by both the phone app and the sync server. Pure: no clock, network, disk, Kivy,
Flask, SQLAlchemy or requests (tests/test_boundaries.py enforces this).
"""

SCHEMA_VERSION = 1
