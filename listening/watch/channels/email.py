"""E-mail through SMTP (standard library ``smtplib`` and ``email``).

The server comes from ``LISTENING_SMTP``:

* ``smtp://host:port`` - plain SMTP, upgraded with STARTTLS when the server offers
  it (and required to offer it when credentials are given);
* ``smtp+starttls://host:port`` - STARTTLS required;
* ``smtps://user:password@host:465`` - SSL from the first byte.

Credentials come from the URL or from ``LISTENING_SMTP_USER`` and
``LISTENING_SMTP_PASSWORD`` (so they can live in a systemd ``EnvironmentFile``
outside the repository). They are never written to the store, the outbox or a
log: errors name the server as ``scheme://host:port``. The sender is
``LISTENING_MAIL_FROM`` (default ``listening@localhost``).
"""

from __future__ import annotations

import dataclasses
import json
import os
import smtplib
import ssl
from email import policy
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import unquote, urlsplit

from .errors import DeliveryError

SMTP_ENV = "LISTENING_SMTP"
FROM_ENV = "LISTENING_MAIL_FROM"
USER_ENV, PASSWORD_ENV = "LISTENING_SMTP_USER", "LISTENING_SMTP_PASSWORD"
DEFAULT_FROM = "listening@localhost"
# Headers are not folded at 78 characters: folding a subject in two languages next to
# encoded words loses the space before " / " in some readers. 998 is SMTP's line limit.
_POLICY = policy.SMTP.clone(max_line_length=998)
SCHEMES = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


@dataclasses.dataclass(frozen=True)
class Server:
    scheme: str
    host: str
    port: int
    user: str | None = dataclasses.field(default=None, repr=False)
    password: str | None = dataclasses.field(default=None, repr=False)

    def __str__(self) -> str:  # what errors and logs show: never the credentials
        return f"{self.scheme}://{self.host}:{self.port}"


def server_from_env(environ=None) -> Server:
    """The SMTP server of ``LISTENING_SMTP`` (see the module docstring)."""
    environ = os.environ if environ is None else environ
    url = environ.get(SMTP_ENV, "").strip()
    if not url:
        raise DeliveryError(f"{SMTP_ENV} is not set: set it to the mail server, e.g. "
                            f"smtp://127.0.0.1:8025 or smtps://user:password@host:465")
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise DeliveryError(f"{SMTP_ENV} must look like smtp://host:port, "
                            f"smtp+starttls://host:587 or smtps://user:password@host:465 "
                            f"(scheme {parts.scheme!r} given)", permanent=True)
    try:
        port = parts.port or SCHEMES[parts.scheme]
    except ValueError:
        raise DeliveryError(f"{SMTP_ENV} has a port that is not a number", permanent=True) \
            from None
    user = unquote(parts.username) if parts.username else environ.get(USER_ENV)
    password = unquote(parts.password) if parts.password else environ.get(PASSWORD_ENV)
    return Server(parts.scheme, parts.hostname, port, user, password)


def render(message, *, to: str, key: str) -> str:
    """The outbox payload of an e-mail: recipients and languages (subject and body are
    stored beside it)."""
    return json.dumps({"to": [a.strip() for a in to.split(",") if a.strip()],
                       "languages": list(message.languages), "key": key}, ensure_ascii=False)


def build(row: dict, *, sender: str) -> EmailMessage:
    """The e-mail of an outbox row; its Message-ID is the idempotency key, so a
    receiving system that keeps Message-IDs sees a repeat as the same mail."""
    payload = json.loads(row["payload"])
    mail = EmailMessage(policy=_POLICY)
    mail["From"] = sender
    mail["To"] = ", ".join(payload["to"])
    mail["Subject"] = row["subject"]
    mail["Date"] = formatdate(localtime=False, usegmt=True)
    domain = sender.rpartition("@")[2] or "localhost"
    mail["Message-ID"] = f"<{row['message_id']}@{domain}>"
    mail["X-Listening-Key"] = row["message_id"]
    mail.set_content(row["body"])
    mail["Content-Language"] = ", ".join(payload["languages"])  # set_content drops Content-*
    return mail


def send(row: dict, *, timeout: float, environ=None) -> None:
    """Send one outbox row by SMTP; raise :class:`DeliveryError` on failure."""
    environ = os.environ if environ is None else environ
    server = server_from_env(environ)
    mail = build(row, sender=environ.get(FROM_ENV) or DEFAULT_FROM)
    try:
        if server.scheme == "smtps":
            client = smtplib.SMTP_SSL(server.host, server.port, timeout=timeout,
                                      context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(server.host, server.port, timeout=timeout)
        with client:
            if server.scheme != "smtps":
                client.ehlo()
                if client.has_extn("starttls"):
                    client.starttls(context=ssl.create_default_context())
                    client.ehlo()
                elif server.scheme == "smtp+starttls" or server.user:
                    raise DeliveryError(f"{server} does not offer STARTTLS; credentials are "
                                        f"not sent in clear: use smtps:// or a server with "
                                        f"STARTTLS", permanent=True)
            if server.user:
                client.login(server.user, server.password or "")
            refused = client.send_message(mail)
    except DeliveryError:
        raise
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(f"{server} refused the credentials (code {exc.smtp_code}); check "
                            f"{USER_ENV}/{PASSWORD_ENV} or the URL", permanent=True) from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryError(f"{server} refused every recipient "
                            f"({', '.join(exc.recipients)}); fix the route's email list",
                            permanent=True) from None
    except smtplib.SMTPResponseException as exc:
        permanent = 500 <= exc.smtp_code < 600
        raise DeliveryError(f"{server} answered {exc.smtp_code}", permanent=permanent) from None
    except (TimeoutError, OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"cannot reach the mail server {server}: "
                            f"{type(exc).__name__} {exc}".strip()) from None
    if refused:
        raise DeliveryError(f"{server} refused {', '.join(sorted(refused))}", permanent=True)
