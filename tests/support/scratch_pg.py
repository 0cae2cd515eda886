"""The test session's own PostgreSQL: a scratch cluster on a free port, shared by the xdist workers.

The session's first process (the xdist controller, or pytest itself without xdist) makes an empty
directory and names it in ``POSADA_TEST_PG_DIR``; the first test that needs PostgreSQL, in whichever
worker, runs initdb and pg_ctl there under a file lock; the first process stops the cluster and
removes the directory when the session ends. Clusters whose session died without ending (a killed
pytest) are stopped and removed when the next session begins. ``POSADA_TEST_PG_URL`` points the
suite at an existing server instead (an admin URL such as postgresql://postgres@127.0.0.1:5432/postgres).
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

from tests.support.ports import free_port

URL_VARIABLE = "POSADA_TEST_PG_URL"
DIR_VARIABLE = "POSADA_TEST_PG_DIR"
BASE = Path(tempfile.gettempdir()) / "posada-test-pg"
DURABLE_VARIABLE = "POSADA_TEST_PG_DURABLE"  # set (./dev.sh bench): fsync on, as the figures were measured
# What the suite needs of the server: the 200-client race plus a pool on the other worker need
# more than the default 100 connections.
SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "unix_socket_directories": "''",
    "max_connections": "400",
    "shared_buffers": "128MB",
    "log_min_messages": "warning",
}
# A scratch cluster for tests needs no durability.
NOT_DURABLE = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
UNPRIVILEGED = "postgres"  # initdb refuses to run as root


def prepare_session() -> Path | None:
    """In the session's first process: an empty directory for the cluster (None with an external URL)."""
    if os.environ.get(URL_VARIABLE):
        return None
    reap_stale()
    BASE.mkdir(mode=0o755, exist_ok=True)
    directory = BASE / f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
    directory.mkdir(mode=0o755)  # named by its owner's pid, so it is never taken for a stale one
    os.environ[DIR_VARIABLE] = str(directory)
    return directory


def end_session(directory: Path) -> None:
    """In the session's first process: stop the cluster if a test started it, remove its directory."""
    _stop(directory)
    shutil.rmtree(directory, ignore_errors=True)
    os.environ.pop(DIR_VARIABLE, None)


def admin_url() -> str:
    """The admin URL of the server the tests use, starting the session's cluster on first use."""
    external = os.environ.get(URL_VARIABLE)
    if external:
        return external
    named = os.environ.get(DIR_VARIABLE)
    if not named:
        raise RuntimeError(f"neither {URL_VARIABLE} nor {DIR_VARIABLE} is set: run the tests with pytest")
    directory = Path(named)
    with (directory / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        port_file = directory / "port"
        if not port_file.exists():
            port_file.write_text(str(_start(directory)))  # written only once the server answers
        return f"postgresql://postgres@127.0.0.1:{int(port_file.read_text())}/postgres"


def reap_stale() -> None:
    """Stop and remove clusters left by sessions whose process is gone."""
    for directory in BASE.glob("*-*") if BASE.is_dir() else ():
        owner = directory.name.split("-", 1)[0]
        if owner.isdigit() and _alive(int(owner)):
            continue
        _stop(directory)
        shutil.rmtree(directory, ignore_errors=True)


def _start(directory: Path) -> int:
    bindir = _bindir()
    data = directory / "data"
    shutil.rmtree(data, ignore_errors=True)  # what a failed earlier attempt left
    user = _run_as()
    if user is not None:
        os.chown(directory, user.pw_uid, user.pw_gid)
    port = free_port()
    _run(user, [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions"])
    settings = {**SETTINGS, **({} if os.environ.get(DURABLE_VARIABLE) else NOT_DURABLE), "port": str(port)}
    with (data / "postgresql.conf").open("a") as conf:
        conf.write("".join(f"{key} = {value}\n" for key, value in settings.items()))
    _run(user, [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(directory / "server.log"),
                "-w", "-t", "60", "start"])
    return port


def _stop(directory: Path) -> None:
    data = directory / "data"
    if not (data / "postmaster.pid").exists():
        return
    with contextlib.suppress(RuntimeError):
        _run(_run_as(), [str(_bindir() / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"])


def _run(user: pwd.struct_passwd | None, command: list[str]) -> None:
    as_user = {} if user is None else {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd="/", **as_user)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")


def _run_as() -> pwd.struct_passwd | None:
    """The unprivileged account to run the server as when the tests run as root."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(UNPRIVILEGED)
    except KeyError:
        raise RuntimeError(f"running as root, and there is no '{UNPRIVILEGED}' account to run "
                           "PostgreSQL as (Debian's postgresql package makes it)") from None


def _bindir() -> Path:
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                      key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if not versions:
        raise RuntimeError("PostgreSQL's initdb was not found: install Debian's postgresql "
                           "(see system-packages.txt), or set POSADA_TEST_PG_URL to a server's admin URL")
    return Path(versions[-1]).parent


def _alive(pid: int) -> bool:
    """Whether the process runs (a zombie no longer does: it only waits to be reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"
