"""Tianye sync server (Flask)."""
