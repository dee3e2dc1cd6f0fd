"""Forms of the review pages."""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django import forms
from django.core import signing
from django.core.exceptions import NON_FIELD_ERRORS
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from scoring.models import Assessment, AuditEvent, Node


class ScoreField(forms.CharField):
    """A score between 0 and the component's max points, at most 2 decimals; a comma is a
    decimal separator too (Vietnamese writes 0,75)."""

    range_message = gettext_lazy("The score must be between 0 and %(max)s.")

    def __init__(self, *, maximum: Decimal, required: bool = False, **kwargs):
        self.maximum = maximum
        super().__init__(required=required, strip=True, **kwargs)

    def clean(self, value):
        text = super().clean(value)
        if not text:
            return None
        try:
            number = Decimal(text.replace(",", "."))
        except InvalidOperation:
            raise forms.ValidationError(_("Please enter a number."), code="invalid") from None
        if not number.is_finite():
            raise forms.ValidationError(_("Please enter a number."), code="invalid")
        if number != number.quantize(Decimal("0.01")):
            raise forms.ValidationError(_("Use at most 2 decimals."), code="decimals")
        if not 0 <= number <= self.maximum:
            raise forms.ValidationError(
                self.range_message % {"max": self.maximum},
                code="range")
        return number


class AssessmentsForm(forms.Form):
    """One province's scores (self-assessed or appraised) and notes for every appraisal
    component; `score_field` and `note_field` say which the signed-in person writes."""

    def __init__(self, *args, components: list[Node], current: dict[int, Assessment],
                 score_field: str, note_field: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.components, self.score_field, self.note_field = components, score_field, note_field
        for node in components:
            existing = current.get(node.pk)
            score = getattr(existing, score_field) if existing else None
            self.fields[f"score-{node.pk}"] = ScoreField(
                maximum=node.max_points, label=node.code,
                initial="" if score is None else f"{score:f}")
            self.fields[f"note-{node.pk}"] = forms.CharField(
                required=False, max_length=2000, label=node.code,
                initial=getattr(existing, note_field) if existing else "")

    def changes(self) -> tuple[dict[str, dict[str, Decimal]], dict[str, dict[str, str]]]:
        """(scores, notes) by component code, for `save_assessments`; an empty score cell
        leaves the stored score as it is."""
        scores, notes = {}, {}
        changed = set(self.changed_data)
        for node in self.components:
            score = self.cleaned_data[f"score-{node.pk}"]
            if score is not None and f"score-{node.pk}" in changed:
                scores[node.code] = {self.score_field: score}
            if f"note-{node.pk}" in changed:
                notes[node.code] = {self.note_field: self.cleaned_data[f"note-{node.pk}"]}
        return scores, notes

    def error_summary(self) -> list[tuple[str, str, str]]:
        """(field id, component code, message) of every field in error, in page order."""
        out = []
        for node in self.components:
            for kind in ("score", "note"):
                name = f"{kind}-{node.pk}"
                for message in self.errors.get(name, []):
                    out.append((name, node.code, message))
        return out


class AuditFilterForm(forms.Form):
    """The audit log's filters: person, action, province and a range of local days."""

    person = forms.CharField(label=gettext_lazy("Person (user name)"), required=False,
                             max_length=150)
    action = forms.ChoiceField(label=gettext_lazy("Action"), required=False)
    province = forms.ChoiceField(label=gettext_lazy("Province"), required=False)
    date_from = forms.DateField(label=gettext_lazy("First day"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"},
                                                       format="%Y-%m-%d"))
    date_to = forms.DateField(label=gettext_lazy("Last day"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args, provinces: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", gettext_lazy("All actions")),
                                         *AuditEvent.Action.choices]
        self.fields["province"].choices = [("", gettext_lazy("All provinces")), *provinces]
        for field in self.fields.values():
            css = "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            field.widget.attrs["class"] = f"{css} {css}-sm"

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError(_("The first day comes after the last."), code="order")
        return data

    def filters(self) -> dict:
        """The filters to apply (keyword arguments of selectors.audit_events): a field that
        is not valid filters nothing."""
        self.is_valid()
        data = dict(self.cleaned_data)
        if self.has_error(NON_FIELD_ERRORS, "order"):
            data["date_from"] = data["date_to"] = None
        return {"person": data.get("person") or "", "action": data.get("action") or "",
                "province": data.get("province") or "", "date_from": data.get("date_from"),
                "date_to": data.get("date_to")}


class PaperBatchForm(forms.Form):
    """A batch of paper forms as the supervisor registers it (the service checks the rest)."""

    questionnaire = forms.ModelChoiceField(queryset=None, label=gettext_lazy("Questionnaire"),
                                           empty_label=None)
    serials = forms.CharField(
        label=gettext_lazy("Serial numbers"), max_length=2000,
        help_text=gettext_lazy("A range like 1001-1050, or numbers separated by commas."))
    collected_by = forms.CharField(
        label=gettext_lazy("Collected by"), max_length=200,
        help_text=gettext_lazy("E.g. the provincial post office, the Fatherland Front, the "
                               "Veterans' Association."))
    arrived_on = forms.DateField(label=gettext_lazy("Arrived on"),
                                 widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, questionnaires, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["questionnaire"].queryset = questionnaires
        self.fields["questionnaire"].label_from_instance = lambda q: f"{q.title} ({q.code})"


class WeightField(ScoreField):
    """An area weight: a number from 0 to 1,000 with at most 2 decimals (a comma is a decimal
    separator too), always given."""

    MAXIMUM = Decimal(1000)
    range_message = gettext_lazy("The weight must be between 0 and %(max)s.")

    def __init__(self, **kwargs):
        super().__init__(maximum=self.MAXIMUM, required=True, max_length=16, **kwargs)


class WhatIfForm(forms.Form):
    """The what-if explorer: a weight for every area, a criterion to leave out, and a name to
    save the scenario under (only when saving)."""

    drop = forms.ChoiceField(label=gettext_lazy("Leave out a criterion"), required=False)
    name = forms.CharField(label=gettext_lazy("Scenario name"), required=False, max_length=120)

    def __init__(self, *args, areas: list, criteria: list, nominal: dict[str, Decimal],
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.areas = areas
        for area in areas:
            self.fields[f"w-{area.code}"] = WeightField(
                label=f"{area.code}. {area.name}", initial=f"{nominal[area.code]:f}",
                error_messages={"required": gettext_lazy("Please enter a weight.")})
        self.fields["drop"].choices = [("", gettext_lazy("None (keep every criterion)")),
                                       *((c.code, f"{c.code}. {c.name}") for c in criteria)]
        self.order_fields([*(f"w-{a.code}" for a in areas), "drop", "name"])

    def clean(self):
        data = super().clean()
        weights = [data.get(f"w-{a.code}") for a in self.areas]
        if all(w is not None for w in weights) and not any(weights):
            raise forms.ValidationError(_("At least one area needs a weight above 0."),
                                        code="all_zero")
        return data

    def weights(self) -> dict[str, Decimal]:
        return {a.code: self.cleaned_data[f"w-{a.code}"] for a in self.areas}

    def dropped(self) -> list[str]:
        return [self.cleaned_data["drop"]] if self.cleaned_data.get("drop") else []


class ExclusionForm(forms.Form):
    """A reviewer's decision on a submission: exclude it from every count, or restore it."""

    CHOICE_MESSAGE = gettext_lazy("Choose exclude or restore.")

    action = forms.ChoiceField(
        choices=[("exclude", gettext_lazy("Exclude")), ("restore", gettext_lazy("Restore"))],
        error_messages={"required": CHOICE_MESSAGE, "invalid_choice": CHOICE_MESSAGE})
    note = forms.CharField(required=False, max_length=500)  # as the page's input allows

    @property
    def excluded(self) -> bool:
        return self.cleaned_data["action"] == "exclude"


class PaperKeyingForm(forms.Form):
    """The serial number of a paper form being keyed, and when its keying screen was opened.

    The answers themselves vary with the questionnaire and are checked whole by
    scoring.services.paper. `opened` is a signed time the page carries (see
    `opened_token`); one that is missing, forged or older than OPENED_MAX_AGE
    gives no start time.
    """

    OPENED_SALT = "paper-keying-opened"
    OPENED_MAX_AGE = 12 * 3600

    serial = forms.CharField(required=False, strip=True)
    opened = forms.CharField(required=False)

    @classmethod
    def opened_token(cls) -> str:
        return signing.dumps(time.time(), salt=cls.OPENED_SALT)

    def clean_serial(self) -> int:
        text = self.cleaned_data["serial"]
        if not text.isdigit():
            raise forms.ValidationError(_("Type the form's serial number."))
        return int(text)

    def clean_opened(self):
        """When the keying screen was opened, as a time; None if the token is unreadable."""
        try:
            moment = float(signing.loads(self.cleaned_data["opened"], salt=self.OPENED_SALT,
                                         max_age=self.OPENED_MAX_AGE))
        except (signing.BadSignature, TypeError, ValueError):
            return None
        return timezone.now() - timedelta(seconds=max(0.0, time.time() - moment))
