"""Template filters for showing scores exactly as the exports do."""

from decimal import Decimal
from fractions import Fraction

from django import template
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from scoring.rules.engine import round2

register = template.Library()


def comma_decimals() -> bool:
    """Whether the page's language writes decimals with a comma (Vietnamese) or a point."""
    return (get_language() or "vi")[:2] == "vi"


def localized(text: str) -> str:
    """A number written with the page's decimal separator: a comma in Vietnamese."""
    return text.replace(".", ",") if comma_decimals() else text


@register.filter
def num(value: Decimal | Fraction | None) -> str:
    """2 decimals, rounded half up, in the page's number format; a dash for no value.

    Downloads keep the spec's machine format (a point); pages follow the language.
    """
    return num_with(value, comma=comma_decimals())


def num_with(value: Decimal | Fraction | None, *, comma: bool) -> str:
    """`num` with the separator given: for code writing many numbers of one page."""
    rounded = round2(value)
    if rounded is None:
        return "–"
    return f"{rounded:.2f}".replace(".", ",") if comma else f"{rounded:.2f}"


@register.filter
def signed(value: Decimal | Fraction | int | None) -> str:
    """A change with its sign (+1,20 / +1.20, −0,35, 0,00); a dash for no value."""
    if value is None:
        return "–"
    if isinstance(value, int):
        return f"+{value}" if value > 0 else (f"−{-value}" if value < 0 else "0")
    rounded = round2(value)
    if rounded > 0:
        return localized(f"+{rounded:.2f}")
    if rounded < 0:
        return localized(f"−{-rounded:.2f}")
    return localized("0.00")


@register.filter
def dec(value, places: int = 2) -> str:
    """Any number with `places` decimals in the page's format (no rounding rule of §6)."""
    if value is None or value == "":
        return "–"
    return localized(f"{float(value):.{int(places)}f}")


@register.filter
def flag_label(flag: str) -> str:
    return {"provisional": _("provisional"), "missing": _("missing")}.get(flag, flag)


@register.filter
def split_flags(flags: str) -> list[str]:
    return [f for f in flags.split("|") if f]


@register.filter
def dictkey(mapping, key):
    """mapping[key] in a template (None when absent)."""
    return mapping.get(key) if mapping else None


@register.filter
def flag_detail(flag) -> str:
    """A data-quality flag's detail in the page's language, from its figures."""
    facts = flag.facts or {}
    if flag.reason == "speeder" and "seconds" in facts:
        return _("%(seconds)s s to answer; the median is %(median)s s") % facts
    if flag.reason == "straight_liner" and "run" in facts:
        return _("the same answer to %(run)s of %(answered)s scale questions in a row") % facts
    if flag.reason == "duplicate" and facts.get("match") == "all_but_one":
        return _("the same answers as an earlier submission within %(minutes)s minutes, "
                 "all but one (%(question)s)") % facts
    if flag.reason == "duplicate" and "minutes" in facts:
        return _("exactly the same answers as an earlier submission within %(minutes)s "
                 "minutes") % facts
    return flag.detail
