"""Web forms: one questionnaire section at a time, and the one-time code."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from surveys.models import Question
from surveys.selectors import Page
from surveys.validation import QuestionRule, is_visible

REQUIRED = _("Please answer this question.")
CHOICE = _("Please choose one of the options.")


class SectionForm(forms.Form):
    """The questions of one section that the earlier answers do not hide.

    A question whose `show_if` depends on another question of the same section
    is shown or hidden in the browser, and checked again here.
    """

    def __init__(self, *args, page: Page, rules: Mapping[str, QuestionRule],
                 prior: dict[str, Any], **kwargs):
        super().__init__(*args, **kwargs)
        self.page = page
        self.section = page.section
        self.rules = rules
        self.prior = prior
        self.local_conditions: dict[str, tuple[str, frozenset[int]]] = {}
        questions = page.questions
        codes_here = {q.code for q in questions}
        self.questions = []
        for q in questions:
            rule = self.rules[q.code]
            if rule.show_if and rule.show_if not in codes_here:
                if not is_visible(rule, _typed(prior, self.rules)):
                    continue
            field = _field(q)
            if rule.show_if in codes_here:
                self.local_conditions[q.code] = (rule.show_if, rule.show_values)
                field.required = False
            self.fields[q.code] = field
            self.questions.append(q)
            if q.code in prior and not self.is_bound:
                self.initial[q.code] = prior[q.code]

    def is_empty(self) -> bool:
        return not self.fields

    def clean(self):
        data = super().clean()
        for code, (controller, values) in self.local_conditions.items():
            given = data.get(controller)
            shown = (any(int(v) in values for v in given) if isinstance(given, list)
                     else given not in (None, "") and int(given) in values)
            if not shown:
                data.pop(code, None)
                self.errors.pop(code, None)
            elif self.rules[code].required and data.get(code) in (None, "", []):
                self.add_error(code, REQUIRED)
        return data

    def answers(self) -> dict[str, Any]:
        """The section's answers as JSON-friendly raw values (blank ones left out)."""
        out: dict[str, Any] = {}
        for code, value in self.cleaned_data.items():
            if value in (None, "", []):
                continue
            if isinstance(value, list):
                out[code] = [int(v) for v in value]
            elif isinstance(value, Decimal):
                out[code] = format(value.normalize(), "f")
            elif self.rules[code].type in ("scale", "single_choice"):
                out[code] = int(value)
            else:
                out[code] = value
        return out

    def error_links(self) -> list[tuple[str, str]]:
        """(code, label) of each question in error, for the summary at the top of the page;
        the label leaves out the lead-in that all the page's questions share."""
        labels = dict(zip([q.code for q in self.questions],
                          distinguishing_parts([q.text for q in self.questions]), strict=True))
        return [(q.code, labels[q.code]) for q in self.questions if q.code in self.errors]

    def questions_html(self) -> SafeString:
        """The page's questions as HTML (surveys/_questions.html).

        Shown blank (not posted, nothing kept for its questions), a page is the same for
        every respondent who is shown the same questions of it, in the same language: that
        HTML is kept on the page. Rendering the questions took about 3 ms of the 8 ms of
        CPU a page of 7 questions cost (measured in-process), and blank is how a page
        first shows; one shown again after Back or with errors is rendered each time.
        """
        if self.is_bound or self.initial:
            return render_to_string("surveys/_questions.html", {"form": self})
        key = (get_language(), tuple(self.fields))
        html = self.page.blank_html.get(key)
        if html is None:
            html = render_to_string("surveys/_questions.html", {"form": self})
            self.page.blank_html[key] = html
        return mark_safe(html)  # noqa: S308 - rendered by the template engine, escaped there

    def bound_questions(self):
        """(question, bound field, local show_if) for the template, in order."""
        for q in self.questions:
            yield q, self[q.code], self.local_conditions.get(q.code)


def distinguishing_parts(texts: Sequence[str], *, min_words: int = 3) -> list[str]:
    """The texts without the words they all begin with, each then led by "…".

    Many questions of a page start alike ("Ông/Bà hài lòng như thế nào về …"): what
    follows is what tells them apart. A lead-in shorter than `min_words` words is kept,
    as are the texts when the page has a single question.
    """
    words = [text.split() for text in texts]
    if len(words) < 2:
        return list(texts)
    shared = 0
    for column in zip(*words, strict=False):
        if any(word != column[0] for word in column):
            break
        shared += 1
    shared = min(shared, min(len(w) for w in words) - 1)  # leave every text a word
    if shared < min_words:
        return list(texts)
    return ["… " + " ".join(w[shared:]) for w in words]


def _typed(prior: dict[str, Any], rules) -> dict[str, Any]:
    out = {}
    for code, value in prior.items():
        if isinstance(value, list):
            out[code] = tuple(value)
        elif isinstance(value, int):
            out[code] = value
    return out


def _field(q: Question) -> forms.Field:
    errors = {"required": REQUIRED, "invalid_choice": CHOICE}
    if q.type in ("scale", "single_choice", "multi_choice"):
        choices = [(str(o.value), o.label) for o in q.scale.options.all()]
        if q.type == "multi_choice":
            return forms.MultipleChoiceField(
                label=q.text, choices=choices, required=q.required,
                widget=forms.CheckboxSelectMultiple, error_messages=errors)
        return forms.ChoiceField(label=q.text, choices=choices, required=q.required,
                                 widget=forms.RadioSelect, error_messages=errors)
    if q.type == "number":
        return forms.DecimalField(
            label=q.text, required=q.required, min_value=q.min_value, max_value=q.max_value,
            decimal_places=4, max_digits=14, localize=False,
            error_messages={"required": REQUIRED,
                            "invalid": _("Please enter a number."),
                            "min_value": _("Please enter a number of at least %(limit_value)s."),
                            "max_value": _("Please enter a number of at most %(limit_value)s.")})
    return forms.CharField(
        label=q.text, required=q.required, max_length=q.max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": REQUIRED,
                        "max_length": _("Please keep it under %(limit_value)d characters.")})


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("One-time code"), max_length=20,
        help_text=_("The code printed on your dossier receipt, e.g. ABCDE-FGH23."),
        error_messages={"required": _("Please enter your code.")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters",
                                      "spellcheck": "false"}))
