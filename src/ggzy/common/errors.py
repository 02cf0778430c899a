"""Domain errors. Each carries a stable code and a Chinese message; HTTP status is mapped once,
in ``ggzy.http.errors``, so services never know about HTTP."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "error"
    status = 400

    def __init__(self, message: str, *, code: str | None = None, detail: Any = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.detail = detail


class InvalidInput(DomainError):
    code = "invalid_input"
    status = 422


class NotFound(DomainError):
    code = "not_found"
    status = 404


class Unauthenticated(DomainError):
    code = "unauthenticated"
    status = 401


class PermissionDenied(DomainError):
    code = "forbidden"
    status = 403


class Conflict(DomainError):
    """The request is well formed but the object's state does not allow it."""

    code = "conflict"
    status = 409


class RuleViolation(DomainError):
    """A business rule with a legal basis refuses the request; ``detail`` names the rule."""

    code = "rule_violation"
    status = 422


class TooManyAttempts(DomainError):
    code = "locked"
    status = 429


class WrongGuess(InvalidInput):
    """A wrong code or PIN: refused, but the count of wrong guesses the service just raised must
    stay (``Database.transaction`` commits before re-raising), or guessing would be free."""

    keep_changes = True
