"""The Vietnamese-completeness check: English interface text or raw codes left in a page.

`english_or_codes(html)` reads a page rendered in Vietnamese and lists what a
Vietnamese reader should not meet there:

- any of the product's own English texts (every msgid of the Vietnamese catalogue that
  is a word or phrase of two letters or more and whose translation differs) in the
  visible text: tags, scripts, styles and attributes are left out, and so is text
  marked as another language (`lang="en"`, e.g. an English name shown as data) or as
  not to be translated (`translate="no"`, e.g. a machine record);
- a lowercase dash slug (`dept-leaders`), a dotted code (`scoring.audit`) or a snake_case
  name (`first_level`) standing where a name belongs: in column headers (`thead`),
  labels, legends, captions and summaries.

Each finding is a short string saying what was found, so that a failing assertion
shows them all.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

CATALOGUE = Path(__file__).resolve().parents[1] / "locale" / "vi" / "LC_MESSAGES" / "django.po"

# A word or phrase: letters, with spaces, hyphens or apostrophes inside; 2 letters or more.
PHRASE = re.compile(r"[A-Za-z][A-Za-z'’ -]*[A-Za-z]")
CODE = re.compile(r"""
    [a-z0-9]+(?:-[a-z0-9]+)+            # a dash slug: dept-leaders, par-2024
  | [a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)+  # a dotted name: scoring.audit, auth.change_user
  | [a-z][a-z0-9]*(?:_[a-z0-9]+)+       # a snake_case name: first_level
""", re.VERBOSE)
_CODE_TOKEN = re.compile(r"(?<![\w.-])(?:" + CODE.pattern + r")(?![\w-])", re.VERBOSE)
NAME_PLACES = {"label", "legend", "caption", "summary"}
HIDDEN = {"script", "style", "template", "textarea"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr"}


def _entries(text: str):
    for block in text.split("\n\n"):
        lines = [ln for ln in block.splitlines() if not ln.startswith("#")]
        msgid, msgstr, current = [], [], None
        for line in lines:
            if line.startswith("msgid "):
                current = msgid
                line = line[6:]
            elif line.startswith("msgid_plural "):
                current = None
                continue
            elif line.startswith("msgstr"):
                current = msgstr if not msgstr else None
                line = line.split(" ", 1)[1]
            if current is not None and line.startswith('"'):
                current.append(ast.literal_eval(line))
        if msgid:
            yield "".join(msgid), "".join(msgstr)


@cache
def english_phrases() -> tuple[str, ...]:
    """The product's own English words and phrases (longest first)."""
    text = CATALOGUE.read_text(encoding="utf-8")
    found = {msgid for msgid, msgstr in _entries(text)
             if PHRASE.fullmatch(msgid) and msgstr and msgstr != msgid}
    return tuple(sorted(found, key=lambda p: (-len(p), p)))


@cache
def _english_pattern() -> re.Pattern:
    variants = []
    for phrase in english_phrases():
        body = r"\s+".join(re.escape(w) for w in phrase.split(" "))
        first = re.escape(phrase[0])
        swapped = re.escape(phrase[0].swapcase())
        # The phrase as written, or with its first letter's case swapped (a heading).
        variants.append(f"[{first}{swapped}]{body[len(first):]}")
    # A whole word: not part of a longer word, a slug, a path or a dotted name (total.csv).
    return re.compile(r"(?<![\w/-])(?<!\w\.)(?:" + "|".join(variants) + r")(?![\w/-]|\.\w)")


class _Reader(HTMLParser):
    """Collects the visible text, and apart the text of each place where a name belongs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []  # open elements: (tag, its text is skipped)
        self.text: list[str] = []
        self.open_names: list[tuple[int, list[str]]] = []  # (depth, text so far)
        self.names: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            return
        attrs = dict(attrs)
        lang = (attrs.get("lang") or "").lower()
        skipped = ((bool(self.stack) and self.stack[-1][1]) or tag in HIDDEN
                   or (lang != "" and not lang.startswith("vi"))
                   or attrs.get("translate") == "no")
        in_thead = any(t == "thead" for t, _ in self.stack)
        self.stack.append((tag, skipped))
        if tag in NAME_PLACES or (tag == "th" and in_thead):
            self.open_names.append((len(self.stack), []))

    def handle_endtag(self, tag):
        if tag in VOID or all(t != tag for t, _ in self.stack):
            return
        while self.stack:
            top, _ = self.stack.pop()
            while self.open_names and self.open_names[-1][0] > len(self.stack):
                self.names.append(" ".join("".join(self.open_names.pop()[1]).split()))
            if top == tag:
                break

    def handle_data(self, data):
        if self.stack and self.stack[-1][1]:
            return
        self.text.append(data)
        for _, parts in self.open_names:
            parts.append(data)


def english_or_codes(html: str) -> list[str]:
    """What a Vietnamese page should not show: English interface text, codes for names."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    text = " ".join(" ".join(reader.text).split())
    found = [f"English: {m.group(0)!r} in …{text[max(0, m.start() - 40):m.end() + 40]}…"
             for m in _english_pattern().finditer(text)]
    for name in reader.names:
        found += [f"code: {m.group(0)!r} in {name!r}" for m in _CODE_TOKEN.finditer(name)
                  if re.search("[a-z]", m.group(0))]
    return found
