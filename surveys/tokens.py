"""Unguessable tokens, one-time codes and receipts; only their hashes are stored."""

import hashlib
import secrets

# No 0/O, 1/I/L: codes are read off paper and typed on phones.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10  # 31**10 ≈ 8e14 (49 bits), guessing is throttled per client
RECEIPT_LENGTH = 10


def new_token() -> str:
    """An invitation token: 192 random bits, URL-safe."""
    return secrets.token_urlsafe(24)


def new_code() -> str:
    """A one-time access code, shown as two groups of five (ABCDE-FGHJK)."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def new_receipt() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(RECEIPT_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def normalise_code(text: str) -> str:
    """What a person typed, as the code it means: case, spaces and dashes do not matter."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def digest(secret: str) -> str:
    """The stored form of a token or code."""
    return hashlib.sha256(secret.encode()).hexdigest()
