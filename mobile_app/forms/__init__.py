"""Renders a shared form definition (`shared_schema.forms`) into Kivy widgets.

`spec` turns the definition into plain `FormSpec`/`SectionSpec`/`FieldSpec` objects (no Kivy);
`fields` holds one widget per field kind, each with its error label right under it;
`renderer` builds a section's widgets and keeps them in step with a form view-model.
"""
