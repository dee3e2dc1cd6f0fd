"""Logging filters named in settings.LOGGING."""

import logging


class NoTracebackFor403(logging.Filter):
    """Keep a 403's log line but drop its traceback; every other record passes unchanged.

    Django's `django.request` logger attaches the PermissionDenied exception to the
    warning it writes for each refused page, which prints a traceback for what is
    ordinary traffic. 500s keep theirs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True
