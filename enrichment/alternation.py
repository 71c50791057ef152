"""Phrase lists compiled into alternations that Python's ``re`` searches quickly.

A search for ``a|b|c|...`` tries every alternative at every position of the text; an
alternative that starts with a literal character other than the one at hand is
skipped at once, but the skips add up over the forty-odd legal phrases of a footer
test. Grouped by their first letter (``c(?:onfiden[ct]|onsider...)|i(?:ntended...)``)
the alternatives cost one test per distinct letter instead. The grouped pattern
matches exactly where the plain one does, so it serves any yes/no test; only which
alternative matches first may differ, so it must not serve a caller that reads the
matched text.
"""

from __future__ import annotations

_QUANTIFIERS = ("?", "*", "+", "{")


def alternatives(pattern: str) -> list[str]:
    """The top-level alternatives of ``pattern`` (``|`` outside groups and sets)."""
    found: list[str] = []
    depth, start, i, in_set = 0, 0, 0, False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if in_set:
            in_set = char != "]"
        elif char == "[":
            in_set = True
        elif char in "()":
            depth += 1 if char == "(" else -1
        elif char == "|" and not depth:
            found.append(pattern[start:i])
            start = i + 1
        i += 1
    found.append(pattern[start:])
    return found


def by_first_letter(phrases: tuple[str, ...], word_start: bool = False) -> str:
    """One alternation of every alternative of ``phrases``, grouped by first letter.

    With ``word_start`` each phrase must start a word, as after ``\\b``. ``\\b`` before
    the group would be tried at every position; "the letter, then no word character
    before it" (``x(?<!\\w.)``) is the same test behind the letter, where it is rarely
    reached. Alternatives that do not start with a plain letter are kept as they are.
    """
    groups: dict[str, list[str]] = {}
    others: list[str] = []
    for alternative in (a for phrase in phrases for a in alternatives(phrase)):
        head = alternative[:1]
        if head.isalpha() and alternative[1:2] not in _QUANTIFIERS:
            groups.setdefault(head, []).append(alternative[1:])
        else:
            others.append(rf"\b(?:{alternative})" if word_start else alternative)
    bound = r"(?<!\w.)" if word_start else ""
    grouped = [f"{head}{bound}(?:{'|'.join(rests)})" for head, rests in groups.items()]
    return "|".join(grouped + others)
