"""Renders the shared form model (`shared_schema.forms`) into Kivy widgets.

`definition` reads a form from its served JSON shape (bundled or pulled) and groups widget
names; `fields` holds one widget per field kind, each with its error label right under it;
`renderer` builds a section's widgets and keeps them in step with a form view-model.
"""
