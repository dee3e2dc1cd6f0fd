"""The province profile's drill-down as HTML, written out in Python rather than by a template.

The tree of a PAR index is some 135 nodes and 190 answer distributions, a thousand table
rows: through the template engine (an include per node, a variable look-up per value) it
took about 100 ms of the profile's first view, written here a few. Every text goes
through `html.escape` (what Django's `escape` calls) and every number through the
templates' own `num`, so the HTML is what the templates gave.
"""

from __future__ import annotations

from html import escape

from django.template.defaultfilters import floatformat
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from scoring.rules.vocabulary import Method
from scoring.selectors.review import ProfileNode
from scoring.templatetags.scoring_tags import comma_decimals, flag_label, num_with, split_flags

SECONDARY = ' class="text-secondary"'


class _Writer:
    """Writes the nodes of one page: its words and number format are looked up once."""

    def __init__(self, *, open_all: bool) -> None:
        self.open = " open" if open_all else ""
        self.comma = comma_decimals()
        self.survey, self.appraisal = escape(_("Survey")), escape(_("Appraisal"))
        self.head = (f'      <thead><tr><th scope="col">{escape(_("Answer"))}</th>'
                     f'<th scope="col" class="text-end">{escape(_("Answers"))}</th>'
                     f'<th scope="col" class="text-end">{escape(_("Share of valid"))}</th>'
                     f"</tr></thead>\n")
        self.not_counted = escape(_("not counted"))
        self.out: list[str] = []

    def num(self, value) -> str:
        return num_with(value, comma=self.comma)

    def node(self, node: ProfileNode) -> None:
        flags = "".join(f'<span class="badge text-bg-warning">{escape(flag_label(f))}</span>'
                        for f in split_flags(node.flags))
        points = (f'<span class="small">{self.num(node.points)} / '
                  f"{self.num(node.max_points)}</span>" if node.max_points is not None else "")
        self.out.append(
            f'\n<details class="node level-{node.level}" id="node-{escape(node.code)}"'
            f"{self.open}>\n"
            f'  <summary class="d-flex flex-wrap gap-2 align-items-baseline py-1">\n'
            f'    <span class="toggle" aria-hidden="true"></span>\n'
            f'    <span class="code text-secondary">{escape(node.code)}</span>\n'
            f'    <span class="me-auto">{escape(node.name)}</span>\n'
            f"    {flags}\n"
            f"    {points}\n"
            f'    <span class="fw-semibold pct">{self.num(node.percent)}%</span>\n'
            f"  </summary>\n"
            f'  <div class="ps-3 border-start ms-2">\n  ')
        if node.children:
            self.out.append("\n    ")
            for child in node.children:
                self.node(child)
            self.out.append("\n  ")
        elif node.method == Method.SURVEY:
            valid = _("%(n)s valid answers") % {"n": node.valid_answers}
            self.out.append(f'\n    <p class="small mb-1">{self.survey} · '
                            f"{escape(node.rule_label)} · {valid}</p>\n    ")
            for source in node.sources:
                self.distribution(source)
            self.out.append("\n  ")
        else:
            self.out.append(f'\n    <p class="small mb-1">{self.appraisal}</p>\n  ')
        self.out.append("\n  </div>\n</details>\n")

    def distribution(self, source: dict) -> None:
        weight = (f" (× {floatformat(source['weight'], '-2')})" if source["weight"] != 1
                  else "")
        rows = "".join(
            f'<tr{"" if o["substantive"] else SECONDARY}><td>{o["value"]} · '
            f'{escape(o["label"])}</td><td class="text-end">{o["count"]}</td>'
            f'<td class="text-end">'
            f'{self.not_counted if o["share"] is None else self.num(o["share"]) + "%"}</td></tr>'
            for o in source["options"])
        self.out.append(
            f'\n    <table class="table table-sm small distribution mb-2">\n'
            f'      <caption class="caption-top small"><span class="text-secondary" '
            f'translate="no">{escape(source["questionnaire"])} · '
            f'{escape(source["question"])}</span>: {escape(source["text"])}{weight}</caption>\n'
            f"{self.head}"
            f"      <tbody>{rows}</tbody>\n"
            f"    </table>\n    ")


def tree_html(root: ProfileNode, *, open_all: bool) -> SafeString:
    """The drill-down below `root`: a <details> per node, closed unless `open_all`."""
    writer = _Writer(open_all=open_all)
    writer.out.append('<div class="tree">\n')
    for node in root.children:
        writer.node(node)
    writer.out.append("\n</div>\n")
    return mark_safe("".join(writer.out))  # noqa: S308 - every text in it is escaped
