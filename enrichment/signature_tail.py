"""The tail of a message's new text, line by line: what ``signature_block`` reads.

A signature sits at the end of the text, so only its last lines are examined: at most
``_TAIL_NONBLANK`` non-blank ones (attachment lines not counted) among the last
``_MAX_TAIL_LINES``, which bounds the work per message whatever the body's length.
Each line answers the tests signature detection asks of it (sign-off, footer, prose,
contact ...) at most once, and only when asked; lines are grouped into paragraphs
(blank lines and rules end them), since a wrapped legal notice is only told apart as
a paragraph (see ``Paragraph``). ``unlink`` breaks the line <-> paragraph cycle once the
reader is done, so the tail is freed without the cycle collector.
"""

from __future__ import annotations

from collections.abc import Iterator

from enrichment.signature_lines import (
    LETTERS,
    MAX_SIGNOFF,
    RULE_CHARS,
    has_address_hint,
    has_legal_form,
    has_legal_wording,
    has_title_word,
    is_attachment,
    is_contact,
    is_delimiter,
    is_extension,
    is_footer,
    is_prose,
    is_signoff,
    segments,
)
from enrichment.signature_names import looks_like_name

_TAIL_NONBLANK = 25
_MAX_TAIL_LINES = 200
_NOTICE_LINE = 40
_SEPARATORS = "|│·•"


class Line:
    """One stripped line of the text's tail; each test runs at most once, and only if asked.

    The tests are methods that keep their answer in a slot (``None`` until asked). A
    caching descriptor (``functools.cached_property`` or the like) would read as an
    attribute, but its first read goes through C into a fresh interpreter frame and
    builds the line's ``__dict__``: more than most of the tests it guards cost, and
    every line is asked several. A method call stays inside the interpreter.
    """

    __slots__ = (
        "_contact",
        "_evidence",
        "_field",
        "_footer",
        "_lead",
        "_legal",
        "_name_led",
        "_org",
        "_prose",
        "_signoff",
        "_title",
        "paragraph",
        "rule",
        "start",
        "text",
    )

    def __init__(self, text: str, start: int) -> None:
        self.text = text
        self.start = start
        # Every line is asked; the first character spares most of them the test.
        self.rule = bool(text) and text[0] in RULE_CHARS and is_delimiter(text)
        self.paragraph: Paragraph | None = None  # set on content lines by ``read_tail``
        self._signoff: bool | None = None
        self._footer: bool | None = None
        self._prose: bool | None = None
        self._legal: bool | None = None
        self._contact: bool | None = None
        self._lead: str | None = None
        self._name_led: bool | None = None
        self._title: bool | None = None
        self._org: bool | None = None
        self._evidence: bool | None = None
        self._field: bool | None = None

    def signoff(self) -> bool:
        """A sign-off line; every line of the tail is asked, and a long one is answered
        without the call (and its cache) at all."""
        if self._signoff is None:
            self._signoff = len(self.text) <= MAX_SIGNOFF and is_signoff(self.text)
        return self._signoff

    def footer(self) -> bool:
        """A footer line, or a line of a wrapped legal notice (see ``Paragraph``)."""
        if self._footer is None:
            paragraph = self.paragraph
            self._footer = is_footer(self.text) or (
                paragraph is not None and paragraph.lines.index(self) in paragraph.notice()
            )
        return self._footer

    def prose(self) -> bool:
        if self._prose is None:
            self._prose = is_prose(self.text)
        return self._prose

    def legal(self) -> bool:
        if self._legal is None:
            self._legal = has_legal_wording(self.text)
        return self._legal

    def contact(self) -> bool:
        if self._contact is None:
            self._contact = is_contact(self.text)
        return self._contact

    def lead(self) -> str:
        """The first segment: the whole line, or its head in "Name | Title | Company"."""
        if self._lead is None:
            parts = segments(self.text)
            self._lead = parts[0] if parts else ""
        return self._lead

    def opens_with_name(self) -> bool:
        """Led by a name, a bare first name included ("Tom", "-Joe")."""
        if self._name_led is None:
            self._name_led = looks_like_name(self.lead().strip("-–—/ "), minimum=1)
        return self._name_led

    def title(self) -> bool:
        if self._title is None:
            self._title = has_title_word(self.text)
        return self._title

    def address_or_company(self) -> bool:
        if self._org is None:
            self._org = has_address_hint(self.text) or has_legal_form(self.text)
        return self._org

    def evidence(self) -> bool:
        """Contact, address, company or title: what makes a block more than a name."""
        if self._evidence is None:
            self._evidence = self.contact() or self.address_or_company() or self.title()
        return self._evidence

    def field(self) -> bool:
        """Carries a signature field: not a rule, footer, sentence or image placeholder."""
        if self._field is None:
            self._field = self._carries_field()
        return self._field

    def _carries_field(self) -> bool:
        text = self.text
        if not text:
            return False
        if text.startswith("[cid:") or text.lower().startswith("[image"):
            return _links_past_image(text)
        if self.rule or self.footer() or self.prose():
            return False
        return bool(LETTERS.search(text)) or self.contact() or is_extension(text)

    def separated(self) -> bool:
        """Holds a "|"-like separator: a one-line signature (asked of a few lines only)."""
        return any(sep in self.text for sep in _SEPARATORS)


def _links_past_image(text: str) -> bool:
    """An image placeholder is no field, but Gmail writes a linked image as its alt text
    and then the link ("[image: Profile]about.me/ann.lee"): the link is one."""
    rest = text.partition("]")[2].strip()
    return bool(rest) and is_contact(rest)


class Paragraph:
    """A run of content lines between blank lines or rules, and whether it holds a notice.

    A confidentiality notice is a paragraph of sentences of which only some lines carry
    its legal wording ("...privileged information. No confidentiality or privilege is"
    over "waived or lost by any"): line by line the others read as body text below the
    signature, and hide it. So a paragraph with two sentences and two lines of legal
    wording, one of them among its first two, holds a notice, from its first sentence or
    legal line to its last, and on over the lower-case lines that finish the last
    sentence. One legal word is not enough: body text may mention confidentiality, and
    a sign-off below it is no notice.
    """

    __slots__ = ("_notice", "lines", "long")

    def __init__(self) -> None:
        self.lines: list[Line] = []
        self.long = 0
        self._notice: range | None = None

    def notice(self) -> range:
        """Indexes of the notice's lines in ``lines`` (empty when it holds none). Three
        lines, two of them long, come first: most paragraphs fail that and cost nothing."""
        if self._notice is None:
            enough = len(self.lines) >= 3 and self.long >= 2
            self._notice = _notice_span(self.lines) if enough else range(0)
        return self._notice


def _notice_span(lines: list[Line]) -> range:
    """Indexes of the notice in one paragraph (see ``Paragraph``), maybe none.

    A notice states what it is in its first or second line ("This e-mail may contain
    confidential ..."), so body paragraphs are dismissed after two wording tests; the
    counts stop at two, and the notice's last line is looked for from the bottom, so
    a long paragraph is not tested line by line.
    """
    if not (lines[0].legal() or lines[1].legal()):
        return range(0)
    if not _at_least_two(line.legal() for line in lines):
        return range(0)
    if not _at_least_two(line.prose() for line in lines):
        return range(0)
    first = 0 if lines[0].legal() or lines[0].prose() else 1
    last = len(lines) - 1
    while not (lines[last].legal() or lines[last].prose()):
        last -= 1
    while last + 1 < len(lines) and lines[last + 1].text[:1].islower():
        last += 1
    return range(first, last + 1)


def _at_least_two(tests: Iterator[bool]) -> bool:
    """Whether two of ``tests`` hold; stops at the second, so the rest are never run."""
    found = 0
    for passed in tests:
        found += passed
        if found == 2:
            return True
    return False


def read_tail(text: str) -> list[Line]:
    """The last non-empty lines (and the blank lines between them), attachments not counted,
    grouped into paragraphs (blank lines and rules end them; see ``Paragraph``).

    A signature sits at the end, so only the tail is examined (offsets are counted
    back from the end); this bounds the work per message whatever the body's length.
    """
    tail: list[Line] = []
    paragraphs: list[Paragraph] = []
    paragraph: Paragraph | None = None
    end, count = len(text), 0
    # Only the last _MAX_TAIL_LINES lines can be reached: a long body is not split whole,
    # and the unsplit head of a longer one is left out.
    parts = text.rsplit("\n", _MAX_TAIL_LINES)
    for raw in reversed(parts[1:] if len(parts) > _MAX_TAIL_LINES else parts):
        if count >= _TAIL_NONBLANK:
            break
        lead = raw.lstrip()
        text = lead.rstrip()
        line = Line(text, end - len(lead))
        tail.append(line)
        end -= len(raw) + 1
        if not text or line.rule:
            count += line.rule
            paragraph = None
            continue
        if paragraph is None:
            paragraph = Paragraph()
            paragraphs.append(paragraph)
        paragraph.lines.append(line)
        paragraph.long += len(text) >= _NOTICE_LINE
        line.paragraph = paragraph
        count += not is_attachment(text)
    for built in paragraphs:
        built.lines.reverse()
    tail.reverse()
    return tail


def unlink(lines: list[Line]) -> None:
    """Drop each line's link to its paragraph, which links back to its lines. Without
    the cycle, reference counting frees the tail as soon as the caller is done; with it,
    every message left a dozen objects for the cycle collector to find (2% of the
    signature step's instructions went on that)."""
    for line in lines:
        line.paragraph = None
