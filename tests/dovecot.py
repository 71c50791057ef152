"""A private, real Dovecot IMAP server for tests, on loopback only.

The IMAP connector must be tested against a real server, not a fake that shares
our own misreadings of RFC 3501/7162. Each :class:`Dovecot` instance lives entirely
under one base directory (config, sockets, state, logs, TLS material, Maildir,
rawlogs), listens on 127.0.0.1 on free ports and is never left running: ``stop()``
and ``kill()`` also reap the instance's child processes.

Running the tests as root is fine. Dovecot refuses mail access as root ("Mail access
not allowed for root"), so the imap processes run as Debian's ``dovecot`` user; as
the test's ``tmp_path`` is 0700 root, they chroot (as root, before dropping
privileges) into ``<base>/jail``, which that user owns and which holds ``mail/``,
``home/`` and ``rawlog/``. Master and auth run as root; pre-login processes as
``dovenull`` in their own chroot, as usual.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import psutil

from tests import known_secrets

DOVECOT = "/usr/sbin/dovecot"
HOST = "127.0.0.1"
USER = "alice@acme-robotics.com"
MAIL_USER = "dovecot"
REDACTED = "<redacted>"
START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0
# Unix socket paths are limited to 108 bytes; Dovecot's longest socket name under
# base_dir is about 30 characters, so a longer base_dir moves to a short temp dir.
MAX_BASE_DIR = 70
_LITERAL = re.compile(rb"\{(\d+)\+?\}$")
_TIMESTAMP = re.compile(rb"^\d+\.\d{6} ", re.MULTILINE)
_LOGIN_LINE = re.compile(r"imap-login: .*\bmpid=(\d*),? lpid=(\d+)\b")
_RUNNING: set[Dovecot] = set()


class DovecotError(RuntimeError):
    """The test server could not be set up, started or stopped."""


def free_port() -> int:
    """A loopback port nobody listens on right now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _run(argv: list[str], *, stdin: bytes | None = None) -> None:
    """Run a helper command; its output only matters when it fails."""
    result = subprocess.run(argv, input=stdin, capture_output=True, check=False, timeout=60)
    if result.returncode != 0:
        raise DovecotError(f"{argv[0]} {argv[1]} failed ({result.returncode}): "
                           f"{result.stderr.decode(errors='replace').strip()}")


def make_ca(directory: Path, name: str) -> tuple[Path, Path]:
    """A self-signed CA (certificate, key), so tests can verify TLS for real."""
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / f"{name}.pem", directory / f"{name}.key"
    _run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
          "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "7",
          "-subj", f"/O=syncd tests/CN={name} {secrets.token_hex(4)}",
          "-addext", "basicConstraints=critical,CA:TRUE",
          "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
    return cert, key


def make_server_cert(directory: Path, ca: tuple[Path, Path]) -> tuple[Path, Path]:
    """A server certificate for localhost/127.0.0.1 signed by ``ca``.

    The SANs matter: Python checks the IP or host name against them, never the CN.
    """
    cert, key, csr = directory / "server.pem", directory / "server.key", directory / "server.csr"
    ext = directory / "server.ext"
    ext.write_text("basicConstraints=critical,CA:FALSE\n"
                   "keyUsage=critical,digitalSignature,keyEncipherment\n"
                   "extendedKeyUsage=serverAuth\n"
                   "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                   "subjectKeyIdentifier=hash\n"
                   "authorityKeyIdentifier=keyid,issuer\n", encoding="utf-8")
    _run(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
          "-keyout", str(key), "-out", str(csr), "-subj", "/O=syncd tests/CN=localhost"])
    _run(["openssl", "x509", "-req", "-in", str(csr), "-CA", str(ca[0]), "-CAkey", str(ca[1]),
          "-set_serial", f"0x{secrets.token_hex(8)}", "-days", "7", "-extfile", str(ext),
          "-out", str(cert)])
    return cert, key


def _read_commands(raw: bytes) -> list[bytes]:
    """Split a client's byte stream into logical lines, literals folded into their line.

    A ``{n}`` literal's bytes belong to the command (a quoted password may be one),
    so they must not count as lines of their own.
    """
    lines: list[bytes] = []
    pos, current = 0, b""
    while pos < len(raw):
        end = raw.find(b"\r\n", pos)
        if end < 0:
            end = len(raw)
        current += raw[pos:end]
        pos = end + 2
        literal = _LITERAL.search(current)
        if literal and pos <= len(raw):
            size = int(literal.group(1))
            current += b"\r\n" + raw[pos:pos + size]
            pos += size
            continue
        lines.append(current)
        current = b""
    if current:
        lines.append(current)
    return lines


def command_name(line: str) -> str:
    """``a3 UID FETCH 1:* (FLAGS)`` -> ``UID FETCH``; a non-command line -> itself."""
    parts = line.split(" ", 3)
    if len(parts) < 2:
        return line
    name = parts[1].upper()
    if name == "UID" and len(parts) > 2:
        return f"UID {parts[2].upper()}"
    return name


class Dovecot:
    """One private Dovecot instance for one test; see the module docstring."""

    def __init__(self, base: Path, password: str,
                 token_introspection: str | None = None) -> None:
        """``token_introspection``: an RFC 7662 endpoint URL; when given, XOAUTH2 and
        OAUTHBEARER logins are accepted for the tokens it declares active."""
        self.token_introspection = token_introspection
        if not password or any(c in password for c in ":\r\n\0"):
            raise DovecotError("the password must be non-empty, without ':', CR, LF or NUL")
        self.base = base.resolve()
        self._password = known_secrets.remember(password)
        self.host = HOST
        self.user = USER
        self.imap_port = 0
        self.imaps_port = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._children: set[int] = set()
        self._ensured: set[str] = set()
        self._run_dir = self._pick_run_dir()
        self._prepare()

    # -- properties --------------------------------------------------------------------

    @property
    def password(self) -> str:
        return self._password

    @property
    def conf_path(self) -> Path:
        return self.base / "dovecot.conf"

    @property
    def log_path(self) -> Path:
        return self.base / "dovecot.log"

    @property
    def ca_file(self) -> Path:
        return self.base / "tls" / "ca.pem"

    @property
    def wrong_ca_file(self) -> Path:
        return self.base / "tls" / "wrong-ca.pem"

    @property
    def mail_root(self) -> Path:
        return self.jail / "mail" / self.user

    @property
    def jail(self) -> Path:
        """The imap processes' chroot: ``/mail``, ``/home``, ``/rawlog`` inside."""
        return self.base / "jail"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    # -- setup -------------------------------------------------------------------------

    def _pick_run_dir(self) -> Path:
        """base_dir for sockets: inside ``base`` unless that path is too long for them."""
        candidate = self.base / "run"
        if len(str(candidate)) <= MAX_BASE_DIR:
            return candidate
        return Path(tempfile.mkdtemp(prefix="dovecot-"))

    def _prepare(self) -> None:
        """TLS material, the passwd-file and the directories; done once per instance."""
        if not Path(DOVECOT).exists():
            raise DovecotError(f"{DOVECOT} is missing: install Debian's dovecot-imapd "
                               "(bash scripts/test does)")
        if shutil.which("openssl") is None:
            raise DovecotError("the openssl command is missing: install Debian's openssl")
        for sub in ("state", "tls", "jail/rawlog", "jail/mail", f"jail/home/{self.user}"):
            (self.base / sub).mkdir(parents=True, exist_ok=True)
        tls = self.base / "tls"
        ca = make_ca(tls, "ca")
        self._cert, self._key = make_server_cert(tls, ca)
        wrong = make_ca(tls / "wrong", "wrong-ca")
        shutil.copyfile(wrong[0], self.wrong_ca_file)
        users = self.base / "users"
        users.write_text(f"{self.user}:{{PLAIN}}{self._password}:::/home/{self.user}::\n",
                         encoding="utf-8")
        users.chmod(0o600)
        self._ensure_folder("INBOX")
        self._ensure_folder("Sent")
        self._give_to_mail_user(self.jail)

    def _config(self) -> str:
        """The whole private dovecot.conf; nothing from /etc/dovecot is read."""
        b = self.base
        return f"""# written by tests/dovecot.py for one test; do not edit
base_dir = {self._run_dir}
state_dir = {b / 'state'}
instance_name = syncd-test-{id(self):x}
log_path = {self.log_path}
info_log_path = {self.log_path}
protocols = imap
listen = {HOST}
ssl = yes
ssl_cert = <{self._cert}
ssl_key = <{self._key}
auth_mechanisms = {self._mechanisms()}
# root owns the test's 0700 tmp_path: auth runs as root to read the passwd-file,
# imap as {MAIL_USER} (root is refused) chrooted into the jail it owns
default_internal_user = root
default_internal_group = root
default_login_user = dovenull
mail_uid = {MAIL_USER}
mail_gid = {MAIL_USER}
first_valid_uid = 1
first_valid_gid = 1
mail_chroot = {self.jail}
valid_chroot_dirs = {self.jail}
mail_location = maildir:/mail/%u
# login_log lpid= pairs a pre-login rawlog (login pid) with its imap process (mpid)
login_log_format_elements = user=<%u> method=%m rip=%r lip=%l mpid=%e lpid=%{{pid}} %c \
session=<%{{session}}>
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {b / 'users'}
}}
{self._oauth2_passdb()}userdb {{
  driver = passwd-file
  args = username_format=%u {b / 'users'}
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
}}
service imap-login {{
  executable = imap-login -R rawlogs
  inet_listener imap {{
    address = {HOST}
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    address = {HOST}
    port = {self.imaps_port}
    ssl = yes
  }}
}}
protocol imap {{
  rawlog_dir = /rawlog
}}
"""

    def _mechanisms(self) -> str:
        return "plain xoauth2 oauthbearer" if self.token_introspection else "plain"

    def _oauth2_passdb(self) -> str:
        """An oauth2 passdb after the passwd-file one: a token is checked there only."""
        if not self.token_introspection:
            return ""
        settings = self.base / "oauth2.conf"
        settings.write_text(
            f"introspection_mode = post\nintrospection_url = {self.token_introspection}\n"
            "force_introspection = yes\nusername_attribute = username\n"
            "active_attribute = active\nactive_value = true\n", encoding="utf-8")
        return f"passdb {{\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n" \
               f"  args = {settings}\n}}\n"

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> None:
        """Start ``dovecot -F``; wait until both ports accept connections. A restart
        (after ``kill`` or ``stop``) listens on the same ports, as a real server would."""
        if self.running:
            raise DovecotError("already running")
        self._reap_leftovers()
        if not self.imap_port:
            self.imap_port, self.imaps_port = free_port(), free_port()
        self.conf_path.write_text(self._config(), encoding="utf-8")
        # the pre-login rawlog dir must exist inside the chroot, writable by dovenull
        login = self._run_dir / "login" / "rawlogs"
        login.mkdir(parents=True, exist_ok=True)
        shutil.chown(login, user="dovenull", group="dovenull")
        login.chmod(0o700)
        self._proc = subprocess.Popen([DOVECOT, "-c", str(self.conf_path), "-F"],
                                      stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, start_new_session=True)
        _RUNNING.add(self)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        pending = {self.imap_port, self.imaps_port}
        while pending:
            if self._proc is None or self._proc.poll() is not None:
                raise DovecotError(f"dovecot exited at start: {self._failure_text()}")
            if time.monotonic() > deadline:
                raise DovecotError(f"dovecot not listening after {START_TIMEOUT:.0f} s: "
                                   f"{self._failure_text()}")
            for port in list(pending):
                with contextlib.suppress(OSError), \
                        socket.create_connection((HOST, port), timeout=0.5):
                    pending.discard(port)
            if pending:
                time.sleep(0.05)
        self._remember_children()

    def _failure_text(self) -> str:
        out = b""
        if self._proc is not None and self._proc.poll() is not None and self._proc.stdout:
            out = self._proc.stdout.read()
        log = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return (out.decode(errors="replace") + log).strip()[-2000:] or "(no output)"

    def _remember_children(self) -> None:
        """Note the instance's processes, to reap them even after the master is gone."""
        if self._proc is None:
            return
        with contextlib.suppress(psutil.Error):
            master = psutil.Process(self._proc.pid)
            self._children.update(p.pid for p in master.children(recursive=True))

    def stop(self) -> None:
        """Stop gracefully (SIGTERM), then make sure no process of this instance is left."""
        self._halt(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL the master, like a crash; its children are reaped too."""
        self._halt(signal.SIGKILL)

    def _halt(self, sig: signal.Signals) -> None:
        proc, self._proc = self._proc, None
        _RUNNING.discard(self)
        if proc is not None:
            self._children_of(proc.pid)
            if proc.poll() is None:
                proc.send_signal(sig)
            try:
                proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=STOP_TIMEOUT)
            if proc.stdout:
                proc.stdout.close()
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
        self._reap_leftovers()

    def _children_of(self, pid: int) -> None:
        with contextlib.suppress(psutil.Error):
            self._children.update(p.pid for p in psutil.Process(pid).children(recursive=True))

    def _reap_leftovers(self) -> None:
        """SIGKILL remembered children still alive, and any master using our config."""
        procs: list[psutil.Process] = []
        for pid in self._children:
            with contextlib.suppress(psutil.Error):
                proc = psutil.Process(pid)
                if proc.name().startswith(("dovecot", "imap", "auth", "log", "config", "anvil",
                                           "stats", "rawlog", "script")):
                    procs.append(proc)
        for proc in psutil.process_iter(["cmdline"]):
            if str(self.conf_path) in (proc.info["cmdline"] or []):
                procs.append(proc)
        for proc in procs:
            with contextlib.suppress(psutil.Error):
                proc.kill()
        psutil.wait_procs(procs, timeout=STOP_TIMEOUT)
        self._children.clear()

    def close(self) -> None:
        """Kill (the test is over; a graceful shutdown only costs Dovecot's 3 s), and
        remove the short socket dir if one had to be made outside ``base``."""
        self.kill()
        if not self._run_dir.is_relative_to(self.base):
            shutil.rmtree(self._run_dir, ignore_errors=True)

    def __enter__(self) -> Dovecot:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- mail --------------------------------------------------------------------------

    def folder_path(self, folder: str) -> Path:
        """The Maildir++ directory of a folder: INBOX is the root, ``A/B`` is ``.A.B``."""
        if folder.upper() == "INBOX":
            return self.mail_root
        return self.mail_root / ("." + folder.replace("/", "."))

    def _ensure_folder(self, folder: str) -> Path:
        path = self.folder_path(folder)
        if folder in self._ensured:
            return path
        self._ensured.add(folder)
        for sub in ("cur", "new", "tmp"):
            (path / sub).mkdir(parents=True, exist_ok=True)
        if path != self.mail_root:
            (path / "maildirfolder").touch()
        self._give_to_mail_user(path)
        return path

    def _give_to_mail_user(self, top: Path) -> None:
        """chown what we (root) created in the jail, so the imap process may write it."""
        for path in [top, *top.rglob("*")]:
            if path.stat().st_uid == 0:
                shutil.chown(path, user=MAIL_USER, group=MAIL_USER)
        top.chmod(0o700) if top == self.jail else None

    def deliver(self, raw: bytes, folder: str = "INBOX") -> None:
        """Drop a message into the folder's ``new/`` the Maildir way (tmp, then rename).

        Works whether or not the server runs; Dovecot assigns the UID on the next scan.
        """
        path = self._ensure_folder(folder)
        name = f"{time.time_ns()}.P{os.getpid()}Q{secrets.token_hex(6)}.syncd-test"
        tmp = path / "tmp" / name
        tmp.write_bytes(raw.replace(b"\r\n", b"\n"))
        shutil.chown(tmp, user=MAIL_USER, group=MAIL_USER)
        tmp.rename(path / "new" / name)

    def reset_uidvalidity(self, folder: str = "INBOX") -> None:
        """Forget the folder's UIDs, so the next SELECT reports a new UIDVALIDITY.

        Dovecot keeps UIDs in ``dovecot-uidlist`` and its indexes; without them it
        renumbers the messages under a UIDVALIDITY taken from ``dovecot-uidvalidity``,
        which only grows, so the value really changes even within one second. Call it
        while no session has the folder selected.
        """
        path = self.folder_path(folder)
        doomed = [*path.glob("dovecot-uidlist*"), *path.glob("dovecot.index*"),
                  *self.mail_root.glob("dovecot.list.index*")]
        for file in doomed:
            file.unlink(missing_ok=True)

    # -- protocol log ------------------------------------------------------------------

    def command_log(self) -> list[list[str]]:
        """Client command lines of every session so far, oldest first, one list each.

        A session is what its pre-login rawlog shows in plaintext (everything on the
        plain port; up to STARTTLS with STARTTLS; nothing with IMAPS), then, if the
        login happened inside TLS, which Dovecot 2.3 logs only encrypted, one line
        ``<tag> AUTHENTICATE|LOGIN <redacted>``, then every command of the imap
        process it logged in to. Credentials are always redacted. Sessions in which
        the client sent nothing (like start()'s port probes) are left out.
        """
        sessions = [self._session_lines(login, mpid) for login, mpid in self._sessions()]
        return [lines for lines in sessions if lines]

    def rawlog_paths(self) -> list[Path]:
        """Every client-to-server rawlog file (pre- and post-login), unredacted."""
        return [*(self._run_dir / "login" / "rawlogs").glob("*.in"),
                *(self.jail / "rawlog").glob("*.in")]

    def _sessions(self) -> Iterator[tuple[Path, str]]:
        """(pre-login rawlog, imap pid or "") in the order Dovecot logged the sessions."""
        logins = {_pid_of(p): p for p in (self._run_dir / "login" / "rawlogs").glob("*.in")}
        log = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        seen: set[str] = set()
        for match in _LOGIN_LINE.finditer(log):
            mpid, lpid = match.group(1), match.group(2)
            if lpid in logins and lpid not in seen:
                seen.add(lpid)
                yield logins[lpid], mpid
        for lpid, path in sorted(logins.items(), key=lambda item: item[1].name):
            if lpid not in seen:  # still connected, nothing logged yet
                yield path, ""

    def _session_lines(self, login: Path, mpid: str) -> list[str]:
        pre, encrypted = _plaintext_prefix(login.read_bytes())
        lines = self._redact(pre)
        posts = [p for p in sorted((self.jail / "rawlog").glob("*.in")) if _pid_of(p) == mpid]
        if mpid and posts:
            if encrypted:
                tag = _login_tag(posts[0].with_suffix(".out"))
                lines.append(f"{tag} AUTHENTICATE|LOGIN {REDACTED}")
            for post in posts:
                lines += self._redact(_strip_timestamps(post.read_bytes()))
        return lines

    def _redact(self, raw: bytes) -> list[str]:
        lines: list[str] = []
        in_sasl = False
        for text in (b.decode("utf-8", errors="replace") for b in _read_commands(raw)):
            line, name = text, command_name(text)
            if in_sasl and " " not in line.strip():
                lines[-1] = f"{lines[-1]} {REDACTED}"  # the SASL response to AUTHENTICATE
                in_sasl = False
                continue
            in_sasl = False
            parts = line.split(" ")
            if name == "LOGIN" and len(parts) > 3:
                line = " ".join([*parts[:3], REDACTED])
            elif name == "AUTHENTICATE":
                line = " ".join(parts[:3] + ([REDACTED] if len(parts) > 3 else []))
                in_sasl = len(parts) <= 3
            lines.append(self._scrub(line))
        return lines

    def _scrub(self, line: str) -> str:
        """The last guard: the password itself, or encoded as SASL PLAIN, never passes."""
        plain = f"\0{self.user}\0{self._password}".encode()
        for secret in (self._password, base64.b64encode(plain).decode(),
                       base64.b64encode(f"\0\0{self._password}".encode()).decode()):
            line = line.replace(secret, REDACTED)
        return line


def _pid_of(path: Path) -> str:
    """A rawlog's process id: ``20261122-170812.1234.1.in`` -> ``1234``."""
    parts = path.name.split(".")
    return parts[1] if len(parts) > 2 else ""


def _strip_timestamps(raw: bytes) -> bytes:
    """Dovecot's rawlog starts each line with ``<seconds>.<micro> ``; drop that."""
    return _TIMESTAMP.sub(b"", raw)


def _plaintext_prefix(raw: bytes) -> tuple[bytes, bool]:
    """The readable part of a pre-login rawlog, and whether TLS followed it.

    The login process logs the socket's bytes, so after STARTTLS (or from the
    first byte with IMAPS) there is only ciphertext.
    """
    text = _strip_timestamps(raw)
    if text.startswith(b"\x16"):
        return b"", True
    starttls = re.search(rb"^\S+ STARTTLS\r?\n", text, re.IGNORECASE | re.MULTILINE)
    if starttls is None:
        return text, False
    return text[:starttls.end()], True


def _login_tag(out: Path) -> str:
    """The tag of the login command, from the imap process's ``<tag> OK ... Logged in``."""
    text = _strip_timestamps(out.read_bytes()) if out.exists() else b""
    found = re.search(rb"^(\S+) OK .*Logged in", text, re.MULTILINE)
    return found.group(1).decode(errors="replace") if found else "?"


@atexit.register
def _stop_all() -> None:
    """Never leave a server behind, even if a test run is interrupted."""
    for server in list(_RUNNING):
        server.close()
