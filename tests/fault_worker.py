"""A `celery worker` that dies the moment its first fold has committed, before the refresh.

Run as `python tests/fault_worker.py -A config worker ...` by tests/test_faults.py to
show that results made stale by a fold are refreshed even when the worker is killed
between the two steps.
"""

import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
django.setup()

from celery.__main__ import main  # noqa: E402

from scoring.services import results  # noqa: E402


def die_before_refreshing() -> int:
    os._exit(1)


results.refresh_pending = die_before_refreshing

if __name__ == "__main__":
    sys.argv = ["celery", *sys.argv[1:]]
    main()
