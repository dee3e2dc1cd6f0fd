"""Pages of the scoring side."""

from django.db.models import Count, Q
from django.shortcuts import render

from scoring.models import Index
from surveys.models import Questionnaire


def home(request):
    """The landing page: what the product is, and which indices are loaded."""
    indices = Index.objects.annotate(
        province_count=Count("results", filter=Q(results__node__level=0))
    ).order_by("-year", "kind", "code")
    surveys = [q for q in Questionnaire.objects.filter(audience="citizen", is_open=True)
               .select_related("province_set").order_by("-year")[:1]]
    provinces = surveys[0].province_set.provinces.order_by("name_vi") if surveys else []
    return render(request, "scoring/home_public.html",
                  {"indices": indices, "survey": surveys[0] if surveys else None,
                   "provinces": provinces})
