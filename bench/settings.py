"""Settings of the intake benchmark's server: the product's, plus one bench-only URL.

    DJANGO_SETTINGS_MODULE=bench.settings gunicorn config.wsgi

Never used by the product itself; the extra view is the baseline of bench/intake.py.
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
