"""Settings of the benchmarks' server: the product's, plus one bench-only URL and timing.

    DJANGO_SETTINGS_MODULE=bench.settings gunicorn config.wsgi

Never used by the product itself; the extra view is the baseline of bench/intake.py and
bench/websurvey.py, and every answer carries its server time (bench/timing.py).
"""

from config.settings import *  # noqa: F403
from config.settings import MIDDLEWARE

ROOT_URLCONF = "bench.urls"
MIDDLEWARE = ["bench.timing.ServerTimingMiddleware", *MIDDLEWARE]
