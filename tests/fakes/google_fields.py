"""Partial responses: the ``fields`` query parameter of every Google JSON API.

Syntax (https://developers.google.com/gmail/api/guides/performance#partial): a comma
list of paths; ``a/b`` selects ``b`` inside ``a``; ``a(b,c)`` selects several fields
inside ``a``; a selection inside an array applies to each element; ``*`` selects every
field at that level. Applying it for real, rather than ignoring it, makes a connector
that asks for ``messages/id`` and then reads ``threadId`` fail in tests as it would in
production. Unknown field names are simply absent from the answer (Google rejects
some of them with 400; the fake does not know the schemas well enough to).
"""

from __future__ import annotations

from typing import Any

from tests.fakes.google_wire import GoogleError

Selection = dict[str, "Selection"]  # {} selects the whole value
_SPECIAL = ",/()"


def select(value: Any, fields: str | None) -> Any:
    """``value`` cut down to ``fields`` (None or empty: unchanged)."""
    if not fields:
        return value
    selection, end = _parse_list(fields.replace(" ", ""), 0)
    if end != len(fields.replace(" ", "")):
        raise _invalid(fields)
    return _apply(value, selection)


def _apply(value: Any, selection: Selection) -> Any:
    if not selection:
        return value
    if isinstance(value, list):
        return [_apply(item, selection) for item in value]
    if not isinstance(value, dict):
        return value
    if "*" in selection:
        return {key: _apply(item, selection.get(key, selection["*"]))
                for key, item in value.items()}
    return {key: _apply(value[key], sub) for key, sub in selection.items() if key in value}


def _parse_list(text: str, index: int) -> tuple[Selection, int]:
    selection: Selection = {}
    while True:
        name, sub, index = _parse_path(text, index)
        _merge(selection, name, sub)
        if index < len(text) and text[index] == ",":
            index += 1
            continue
        return selection, index


def _parse_path(text: str, index: int) -> tuple[str, Selection, int]:
    start = index
    while index < len(text) and text[index] not in _SPECIAL:
        index += 1
    name = text[start:index]
    if not name:
        raise _invalid(text)
    if index < len(text) and text[index] == "/":
        child, sub, index = _parse_path(text, index + 1)
        return name, {child: sub}, index
    if index < len(text) and text[index] == "(":
        sub, index = _parse_list(text, index + 1)
        if index >= len(text) or text[index] != ")":
            raise _invalid(text)
        return name, sub, index + 1
    return name, {}, index


def _merge(selection: Selection, name: str, sub: Selection) -> None:
    if name in selection and selection[name] and sub:
        for key, value in sub.items():
            _merge(selection[name], key, value)
    elif name in selection:
        selection[name] = {}  # one of the two asked for the whole value
    else:
        selection[name] = sub


def _invalid(fields: str) -> GoogleError:
    return GoogleError(400, "invalidParameter", f"Invalid field selection {fields}",
                       location=("parameter", "fields"))
