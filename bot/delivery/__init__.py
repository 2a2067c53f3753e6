"""Where replies go: one Protocol, a Maildir outbox (the embedded default) and SMTP."""
from __future__ import annotations

from typing import Callable, Protocol

from config.settings import DeliverySettings


class DeliveryError(Exception):
    """The reply was not accepted; `permanent` tells a retry would not help."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class DeliveryUnavailable(DeliveryError):
    """The server cannot be reached or refuses us as a whole: no use trying the next reply now."""


class Delivery(Protocol):
    def send(self, raw: bytes, sender: str, recipients: list[str], on_data: Callable[[], None] | None = None) -> None:
        """Hand the reply over; `on_data` is called right before the message itself is transmitted."""
        ...

    def close(self) -> None: ...


def open_delivery(settings: DeliverySettings) -> Delivery:
    if settings.kind == "maildir":
        from bot.delivery.maildir import MaildirOutbox

        assert settings.path is not None
        return MaildirOutbox(settings.path)
    from bot.delivery.smtp import SmtpDelivery

    return SmtpDelivery(settings)
