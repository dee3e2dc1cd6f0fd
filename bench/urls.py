"""The product's URLs plus the baseline of the intake benchmark: a bare view inserting one row.

The row goes into `bench_row`, a table bench/intake.py creates (no migration: it is not
part of the product). The view reads the posted JSON, inserts it and answers 201 — what
any Django view storing a request costs on this server, with the same middleware.
"""

import json

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from config.urls import urlpatterns as product_urlpatterns

TABLE = "bench_row"


@csrf_exempt
@require_POST
def insert_one_row(request: HttpRequest) -> JsonResponse:
    body = json.loads(request.body)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {TABLE} (body) VALUES (%s) RETURNING id",  # noqa: S608
                       [json.dumps(body)])
        (row_id,) = cursor.fetchone()
    return JsonResponse({"id": row_id}, status=201)


urlpatterns = [path("bench/insert-one-row", insert_one_row), *product_urlpatterns]
