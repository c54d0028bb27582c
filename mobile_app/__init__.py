"""Tianye phone app (Kivy)."""
