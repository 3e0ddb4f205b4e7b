"""A throwaway PostgreSQL server for the warehouse tests: a fresh cluster in a temp dir on a free local port.

Uses the server binaries of Debian's ``postgresql`` package (``.ci/run`` installs it). PostgreSQL
refuses to run as root, so under root the cluster belongs to the ``postgres`` system user that the
package creates. The cluster requires a password over TCP (scram-sha-256), so the tests exercise
``password_env`` for real; it is stopped and deleted when the session ends.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

USER = "intentseg"
PASSWORD = "throwaway-test-password"  # a test cluster's, on 127.0.0.1 only, deleted after the session
PASSWORD_ENV = "INTENTSEG_TEST_PG_PASSWORD"


def server_binaries() -> Path:
    """The folder with initdb and pg_ctl (``pg_config --bindir``, else Debian's newest version)."""
    try:
        folder = Path(
            subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True).stdout.strip()
        )
        if (folder / "initdb").exists():
            return folder
    except (OSError, subprocess.CalledProcessError):
        pass
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise RuntimeError(
            "PostgreSQL server binaries not found: install Debian's postgresql package "
            "(apt-get install postgresql; .ci/run does this), then rerun the e2e tests"
        )
    return Path(found[-1]).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ThrowawayPostgres:
    """Start with :meth:`start`, connect with :attr:`url` (password in :data:`PASSWORD_ENV`), end with :meth:`stop`."""

    def __init__(self) -> None:
        self.bin = server_binaries()
        self.root = Path(tempfile.mkdtemp(prefix="intentseg-pg-"))
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_postgres else []
        result = subprocess.run([*prefix, *command], capture_output=True, text=True)
        if result.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}\n{tail}")

    def start(self) -> ThrowawayPostgres:
        (self.root / "pwfile").write_text(PASSWORD + "\n")
        if self.as_postgres:
            user = pwd.getpwnam("postgres")
            os.chmod(self.root, 0o700)
            for path in (self.root, self.root / "pwfile"):
                os.chown(path, user.pw_uid, user.pw_gid)
        data = self.root / "data"
        self._run(
            str(self.bin / "initdb"), "-D", str(data), "-U", USER, "--pwfile", str(self.root / "pwfile"),
            "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C",
        )  # fmt: skip
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(data), "-l", str(self.root / "server.log"), "-o", options, "-w", "start"
        )
        os.environ[PASSWORD_ENV] = PASSWORD
        return self

    def stop(self) -> None:
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
