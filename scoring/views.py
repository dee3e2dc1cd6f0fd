"""Pages of the scoring side."""

from django.db.models import Count, Q
from django.shortcuts import render

from scoring.models import Index


def home(request):
    """The landing page: what the product is, and which indices are loaded."""
    indices = Index.objects.annotate(
        province_count=Count("results", filter=Q(results__node__level=0))
    ).order_by("-year", "kind", "code")
    return render(request, "scoring/home_public.html", {"indices": indices})
