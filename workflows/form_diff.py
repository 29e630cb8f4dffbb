"""What changed in the forms between two versions of a process, per user task and field, in order.

A form is added or removed with its task (or on its own); a changed form lists the fields added,
removed and changed (in the new form's order, removed ones in the old form's), whether the common
fields were put in another order, and whether anything beside the fields changed.
"""

from dataclasses import dataclass, field

# Keys of a field's definition, in the words the diff page shows.
FIELD_PARTS = {"title": "标题", "type": "类型", "x-widget": "控件", "oneOf": "选项", "enum": "选项",
               "x-options": "选项", "default": "默认值", "x-placeholder": "提示文字"}


@dataclass
class FieldChange:
    name: str
    title: str
    what: list[str] = field(default_factory=list)


@dataclass
class FormChange:
    element_id: str
    name: str | None
    kind: str  # added, removed, changed
    added: list[FieldChange] = field(default_factory=list)
    removed: list[FieldChange] = field(default_factory=list)
    changed: list[FieldChange] = field(default_factory=list)
    reordered: bool = False
    other: bool = False  # the form's title or rules beside the fields' own definitions

    def as_dict(self) -> dict:
        def rows(items):
            return [{"name": f.name, "title": f.title, "what": f.what} for f in items]

        return {"element_id": self.element_id, "name": self.name, "kind": self.kind, "added": rows(self.added),
                "removed": rows(self.removed), "changed": rows(self.changed), "reordered": self.reordered,
                "other": self.other}


def _properties(schema) -> dict:
    found = schema.get("properties") if isinstance(schema, dict) else None
    return found if isinstance(found, dict) else {}


def _title(name: str, prop) -> str:
    return str(prop.get("title") or name) if isinstance(prop, dict) else name


def _required(schema) -> set:
    found = schema.get("required") if isinstance(schema, dict) else None
    return set(found) if isinstance(found, list) else set()


def _field_change(name: str, old, new, old_schema, new_schema) -> FieldChange | None:
    what = []
    if isinstance(old, dict) and isinstance(new, dict):
        for key in dict.fromkeys([*old, *new]):
            if old.get(key) != new.get(key):
                word = FIELD_PARTS.get(key, "校验规则")
                if word not in what:
                    what.append(word)
    elif old != new:
        what.append("定义")
    if (name in _required(old_schema)) != (name in _required(new_schema)):
        what.append("必填")
    return FieldChange(name, _title(name, new), what) if what else None


def _rest(schema) -> dict:
    if not isinstance(schema, dict):
        return {"schema": schema}
    return {k: v for k, v in schema.items() if k not in ("properties", "required")}


def diff_form(element_id: str, name: str | None, old, new) -> FormChange | None:
    """How form `old` became `new` (None when the same, order included)."""
    if old == new and list(_properties(old)) == list(_properties(new)):
        return None
    if old is None:
        return FormChange(element_id, name, "added", added=[FieldChange(n, _title(n, p))
                                                            for n, p in _properties(new).items()])
    if new is None:
        return FormChange(element_id, name, "removed", removed=[FieldChange(n, _title(n, p))
                                                                for n, p in _properties(old).items()])
    old_props, new_props = _properties(old), _properties(new)
    change = FormChange(element_id, name, "changed")
    change.added = [FieldChange(n, _title(n, p)) for n, p in new_props.items() if n not in old_props]
    change.removed = [FieldChange(n, _title(n, p)) for n, p in old_props.items() if n not in new_props]
    for field_name, prop in new_props.items():
        if field_name in old_props:
            found = _field_change(field_name, old_props[field_name], prop, old, new)
            if found:
                change.changed.append(found)
    common = [n for n in old_props if n in new_props]
    change.reordered = common != [n for n in new_props if n in old_props]
    change.other = _rest(old) != _rest(new)
    return change


def diff_forms(old_forms: dict, new_forms: dict, names: dict[str, str | None]) -> list[FormChange]:
    """Every form that changed between two versions, in the new version's order, removed ones last."""
    old_forms, new_forms = old_forms or {}, new_forms or {}
    changes = []
    for element_id in [*new_forms, *(k for k in old_forms if k not in new_forms)]:
        found = diff_form(element_id, names.get(element_id), old_forms.get(element_id), new_forms.get(element_id))
        if found:
            changes.append(found)
    return changes
