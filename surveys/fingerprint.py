"""The content fingerprint that tells an identical resend from a conflicting one. Pure."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from decimal import Decimal

AnswerValue = int | Decimal | str | tuple[int, ...]


def _canonical(value: AnswerValue) -> object:
    if isinstance(value, tuple):
        return sorted(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value


def submission_fingerprint(
    questionnaire: str, province: str, answers: Mapping[str, AnswerValue]
) -> str:
    """SHA-256 over the questionnaire, the province and the cleaned answers, in a fixed order."""
    payload = {
        "q": questionnaire,
        "p": province,
        "a": {code: _canonical(v) for code, v in sorted(answers.items())},
    }
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
