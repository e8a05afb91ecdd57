"""The error answers the emulator gives, shaped as the real service's (`error_code`, `error_msg`)."""

from __future__ import annotations

__all__ = ["ApiFailure", "keystone_failure"]


class ApiFailure(Exception):
    """An error answer: HTTP status, ModelArts (or APIG) error code, message, extra headers."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def body(self) -> dict[str, object]:
        """The JSON body."""
        return {"error_code": self.code, "error_msg": self.message}


class KeystoneFailure(ApiFailure):
    """An IAM (Keystone v3) error, whose body is `{"error": {"code", "message", "title"}}`."""

    def body(self) -> dict[str, object]:
        titles = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}
        return {
            "error": {"code": self.status, "message": self.message, "title": titles.get(self.status, "Error")}
        }


def keystone_failure(status: int, message: str) -> KeystoneFailure:
    """An IAM error in Keystone's shape."""
    return KeystoneFailure(status, str(status), message)
