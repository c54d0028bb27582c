"""Marshmallow schemas for records and protocol payloads."""
