"""The one failure a channel raises."""

from __future__ import annotations


class DeliveryError(Exception):
    """A message could not be delivered; ``permanent`` when retrying cannot help.

    The message never holds credentials (servers are named as ``scheme://host:port``).
    """

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        self.permanent = permanent
        super().__init__(message)
