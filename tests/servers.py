"""Real mail servers for the integration tests, on loopback: Dovecot (IMAP, Debian's dovecot-imapd) with
a passwd-file user and a Maildir in a temp dir, and aiosmtpd (SMTP).  Nothing is faked: the bot talks
to them exactly as it talks to Exchange Online.

Waiting is done on events (a Condition the SMTP handler notifies), never on sleeps."""
from __future__ import annotations

import email
import email.policy
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from imapclient import IMAPClient

USER, PASSWORD = "taskforce", "hemmeligt-kodeord"
TOKEN = "test-access-token"  # what the XOAUTH2 tests present as bearer token


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1/localhost (openssl), used by both servers and trusted by the bot
    through `ca_file`."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


DOVECOT_CONF = """\
protocols = imap
listen = 127.0.0.1
base_dir = {run}
state_dir = {state}
log_path = {root}/dovecot.log
instance_name = taskforce-test-{port}
default_internal_user = {internal}
default_internal_group = {internal_group}
default_login_user = {internal}
ssl = {ssl}
{ssl_files}
disable_plaintext_auth = no
auth_mechanisms = plain login{oauth_mechs}
mail_location = maildir:{root}/mail/%u
mailbox_list_index = no
passdb {{
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
{oauth_passdb}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
namespace inbox {{
  inbox = yes
  separator = {separator}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {ssl_port}
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
protocol imap {{
  imap_capability = {capability}
}}
"""


@dataclass
class Dovecot:
    """A running Dovecot.  `client()` is a fresh authenticated IMAPClient for putting mail in and
    looking at folders, independent of the bot's own connection."""

    root: Path
    port: int
    ssl_port: int
    cert: Path | None
    conf: Path
    separator: str

    def client(self) -> IMAPClient:
        c = IMAPClient("127.0.0.1", port=self.port, ssl=False)
        c.login(USER, PASSWORD)
        c.normalise_times = False
        return c

    def append(self, raw: bytes, internal_date, folder: str = "INBOX") -> None:
        with self.client() as c:
            c.append(folder, raw, msg_time=internal_date)

    def messages(self, folder: str = "INBOX") -> list[bytes]:
        with self.client() as c:
            if not c.folder_exists(folder):
                return []
            c.select_folder(folder, readonly=True)
            uids = c.search("ALL")
            return [d[b"BODY[]"] for _, d in sorted(c.fetch(uids, ["BODY.PEEK[]"]).items())] if uids else []

    def stop(self) -> None:
        subprocess.run(["dovecot", "-c", str(self.conf), "stop"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        pid = self.conf.parent / "run" / "master.pid"
        deadline = time.monotonic() + 10
        while pid.exists() and time.monotonic() < deadline:  # the master removes its pid file on exit
            time.sleep(0.05)
        shutil.rmtree(self.root, ignore_errors=True)


class TokenInfo:
    """The token-info endpoint Dovecot's oauth2 passdb asks (GET <url><token>): TOKEN is our user's."""

    def __init__(self) -> None:
        import http.server

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's hook name
                ok = self.path.endswith("=" + TOKEN)
                body = (f'{{"username": "{USER}", "active": true}}' if ok else '{"error": "invalid_token"}').encode()
                self.send_response(200 if ok else 401)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/tokeninfo?access_token="
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def dovecot_available() -> bool:
    return shutil.which("dovecot") is not None


def start_dovecot(tls: bool = False, capability: str = "", separator: str = ".", tokeninfo_url: str = "") -> Dovecot:
    """Dovecot as root in a short temp dir (unix socket paths are limited to ~100 bytes); the login
    and internal processes run as `nobody`, mail processes as root (first_valid_uid = 0)."""
    root = Path(tempfile.mkdtemp(prefix="dc-"))
    os.chmod(root, 0o755)
    for sub in ("run", "state", "mail", "home"):
        (root / sub).mkdir()
    os.chmod(root / "run", 0o755)
    owner = pwd.getpwnam("nobody")  # Dovecot refuses uid 0 for mail processes
    for sub in ("mail", "home"):
        os.chown(root / sub, owner.pw_uid, owner.pw_gid)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n", encoding="utf-8")
    cert = key = None
    ssl_files = ""
    if tls:
        cert, key = self_signed(root)
        ssl_files = f"ssl_cert = <{cert}\nssl_key = <{key}"
    port, ssl_port = free_port(), (free_port() if tls else 0)
    oauth_passdb = ""
    if tokeninfo_url:  # XOAUTH2: Dovecot asks an HTTP token-info endpoint whom the bearer token is for
        (root / "oauth2.conf").write_text(f"tokeninfo_url = {tokeninfo_url}\nusername_attribute = username\n", encoding="utf-8")
        oauth_passdb = f"passdb {{\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = {root}/oauth2.conf\n}}"
    conf = root / "dovecot.conf"
    conf.write_text(DOVECOT_CONF.format(
        root=root, run=root / "run", state=root / "state", port=port, ssl_port=ssl_port, uid=owner.pw_uid, gid=owner.pw_gid,
        internal="nobody", internal_group="nogroup", ssl="yes" if tls else "no", ssl_files=ssl_files,
        capability=capability or "", separator=separator, oauth_passdb=oauth_passdb,
        oauth_mechs=" xoauth2 oauthbearer" if tokeninfo_url else "",
    ), encoding="utf-8")
    # `dovecot` daemonises only after its listeners are bound: when it returns, the port answers.
    # Its output goes to a file: a pipe would stay open in the daemon and block us.
    with open(root / "start.log", "wb") as out:
        result = subprocess.run(["dovecot", "-c", str(conf)], stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        logs = "".join(p.read_text(errors="replace") for p in (root / "start.log", root / "dovecot.log") if p.exists())
        raise RuntimeError(f"dovecot did not start ({result.returncode}): {logs}")
    return Dovecot(root, port, ssl_port, cert, conf, separator)


@dataclass
class Received:
    sender: str
    recipients: list[str]
    raw: bytes

    @property
    def message(self):
        return email.message_from_bytes(self.raw, policy=email.policy.default)


@dataclass
class SmtpSink:
    """aiosmtpd's handler: keeps every accepted mail; `refuse` makes it answer a given SMTP reply
    instead (e.g. "451 4.3.0 try later"); `on_data` runs after a mail is kept, before the answer."""

    received: list[Received] = field(default_factory=list)
    refuse: str | None = None
    on_data: object = None
    logins: list[tuple[str, str]] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        if self.refuse:
            return self.refuse
        with self.changed:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or envelope.content))
            self.changed.notify_all()
        if callable(self.on_data):
            self.on_data()
        return "250 2.0.0 Ok: queued"

    def wait_for(self, count: int, timeout: float = 20) -> list[Received]:
        """Block until `count` mails have arrived (an event, not a sleep); fail after `timeout`."""
        with self.changed:
            if not self.changed.wait_for(lambda: len(self.received) >= count, timeout):
                raise AssertionError(f"SMTP server got {len(self.received)} mails, expected {count} within {timeout} s")
            return list(self.received)


def _authenticator(sink: SmtpSink):
    def check(server, session, envelope, mechanism, auth_data):
        if mechanism in ("LOGIN", "PLAIN") and isinstance(auth_data, LoginPassword):
            ok = (auth_data.login.decode(), auth_data.password.decode()) == (USER, PASSWORD)
            sink.logins.append((mechanism, auth_data.login.decode()))
            return AuthResult(success=ok)
        return AuthResult(success=False, handled=False)

    return check


class XOAuth2Handler(SmtpSink):
    """The sink plus the XOAUTH2 SASL mechanism (as Exchange Online offers it)."""

    async def auth_XOAUTH2(self, server, args):  # noqa: N802 - aiosmtpd's mechanism hook
        import base64

        blob = args[1] if len(args) > 1 else (await server.challenge_auth(""))
        text = base64.b64decode(blob).decode() if isinstance(blob, str) else blob.decode()
        fields = dict(p.split("=", 1) for p in text.split("\x01") if "=" in p)
        ok = fields.get("user") == USER and fields.get("auth") == f"Bearer {TOKEN}"
        self.logins.append(("XOAUTH2", fields.get("user", "")))
        return AuthResult(success=ok, handled=False, auth_data=fields.get("user"))


@dataclass
class Smtp:
    controller: Controller
    sink: SmtpSink
    port: int
    cert: Path | None = None

    def stop(self) -> None:
        if self.controller.loop.is_running():
            self.controller.stop()


def start_smtp(tls: str = "none", auth: bool = False, cert: tuple[Path, Path] | None = None, xoauth2: bool = False,
               port: int | None = None, sink: SmtpSink | None = None) -> Smtp:
    """aiosmtpd on loopback.  tls: "none", "starttls" (required before AUTH) or "ssl" (implicit)."""
    sink = sink or (XOAuth2Handler() if xoauth2 else SmtpSink())
    port = port or free_port()
    context = None
    if tls != "none":
        assert cert is not None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(cert[0]), str(cert[1]))
    kwargs: dict = {}
    if auth or xoauth2:
        kwargs.update(authenticator=_authenticator(sink), auth_require_tls=tls == "starttls", auth_required=True)
    if tls == "starttls":
        kwargs.update(tls_context=context, require_starttls=True)
    with warnings.catch_warnings():  # implicit TLS: aiosmtpd does not see it and warns about AUTH without TLS
        warnings.simplefilter("ignore", UserWarning)
        controller = Controller(sink, hostname="127.0.0.1", port=port, ssl_context=context if tls == "ssl" else None,
                                server_hostname="localhost", **kwargs)
    controller.start()
    return Smtp(controller, sink, port, cert[0] if cert else None)
