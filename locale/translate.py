"""Fill Vietnamese translations into locale/vi/LC_MESSAGES/django.po from locale/vi.tsv.

vi.tsv holds one `English<TAB>Tiếng Việt` pair a line. Run after
`manage.py makemessages -l vi`, then `manage.py compilemessages`; exits 1
listing any message that has no translation yet.
"""

import ast
import csv
import sys
from pathlib import Path

HERE = Path(__file__).parent
PO = HERE / "vi" / "LC_MESSAGES" / "django.po"
TABLE = HERE / "vi.tsv"


def quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def unfuzzy(line: str) -> str | None:
    """A line without the "fuzzy" flag (a fuzzy entry is left out when compiled), or None."""
    if line.startswith("#|"):  # the earlier msgid a fuzzy match came from
        return None
    if not line.startswith("#,"):
        return line
    flags = [f.strip() for f in line[2:].split(",") if f.strip() != "fuzzy"]
    return "#, " + ", ".join(flags) if flags else None


def main() -> int:
    with TABLE.open(encoding="utf-8", newline="") as fh:
        table = {row[0]: row[1] for row in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
                 if row}
    entries = PO.read_text(encoding="utf-8").split("\n\n")
    missing, out = [], []
    for entry in entries:
        lines = [ln for ln in map(unfuzzy, entry.splitlines()) if ln is not None]
        ids = [i for i, ln in enumerate(lines) if ln.startswith("msgid ")]
        plural = [i for i, ln in enumerate(lines) if ln.startswith("msgid_plural ")]
        strs = [i for i, ln in enumerate(lines) if ln.startswith("msgstr")]
        if not ids or not strs:
            out.append("\n".join(lines))
            continue
        end = plural[0] if plural else strs[0]
        msgid = "".join(ast.literal_eval(ln.split(" ", 1)[1] if ln.startswith("msgid") else ln)
                        for ln in lines[ids[0]:end])
        if not msgid:  # the header
            header = "\n".join(lines).replace("charset=CHARSET", "charset=UTF-8")
            out.append(header)
            continue
        text = table.get(msgid)
        if text is None:
            missing.append(msgid)
            out.append("\n".join(lines))
            continue
        target = "msgstr[0]" if plural else "msgstr"  # Vietnamese has one plural form
        out.append("\n".join(lines[:strs[0]] + [f"{target} {quoted(text)}"]))
    PO.write_text("\n\n".join(out).rstrip("\n") + "\n", encoding="utf-8")
    for msgid in missing:
        print(f"no translation: {msgid!r}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
