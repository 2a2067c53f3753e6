"""What IMAP and SMTP share: the TLS context and the XOAUTH2 access token.

Microsoft 365 accepts basic auth for neither IMAP nor (by default) SMTP AUTH any more; an Entra ID app
with the client-credentials flow gets a token for `https://outlook.office365.com/.default` (msal does
the OAuth; we only ask it)."""
from __future__ import annotations

import functools
import ssl
from pathlib import Path
from typing import Callable

from config.settings import OAuthSettings

TokenProvider = Callable[[], str]


class AuthError(Exception):
    """No token could be obtained; the message names the tenant and msal's reason."""


def tls_context(ca_file: Path | None) -> ssl.SSLContext:
    """Certificate-checking TLS; `ca_file` adds a private CA (the tests' self-signed servers).  One
    context per CA file as it is now (its path and modification time): loading the system's
    certificates takes tens of milliseconds, and the outbox connects once a second on a backlog, so a
    context is made once and reused; a replaced CA file makes a new one."""
    stamp = ca_file.stat().st_mtime_ns if ca_file and ca_file.exists() else None
    return _context(str(ca_file) if ca_file else None, stamp)


@functools.lru_cache(maxsize=8)
def _context(ca_file: str | None, stamp: int | None) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=ca_file)


def entra_app(oauth: OAuthSettings, timeout: float | None = None):  # -> msal.ConfidentialClientApplication
    """The Entra ID app of the client-credentials flow.  `instance_discovery=False`: Microsoft's own
    hosts are known to msal anyway, and another `authority` (a proxy, a national cloud) is asked itself
    instead of login.microsoftonline.com."""
    import msal

    return msal.ConfidentialClientApplication(oauth.client_id, client_credential=oauth.client_secret,
                                              authority=f"{oauth.authority.rstrip('/')}/{oauth.tenant_id}",
                                              timeout=timeout, instance_discovery=False)


def msal_token_provider(oauth: OAuthSettings) -> TokenProvider:
    """A function returning a valid access token; msal caches it and renews it before it expires."""
    app = entra_app(oauth)

    def token() -> str:
        result = app.acquire_token_for_client(scopes=[oauth.scope])
        if "access_token" not in result:
            raise AuthError(f"Entra ID (tenant {oauth.tenant_id}, app {oauth.client_id}) gav intet token: "
                            f"{result.get('error')}: {result.get('error_description')}")
        return result["access_token"]

    return token


def xoauth2_string(username: str, token: str) -> str:
    """The SASL XOAUTH2 initial response (before base64, which the client libraries add)."""
    return f"user={username}\x01auth=Bearer {token}\x01\x01"
