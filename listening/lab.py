"""Start JupyterLab on this machine with a token nobody else can read (``make lab``).

A token given on the command line (``--IdentityProvider.token=...``) is readable
by every local user in ``ps``, and Jupyter then masks it in the URL it prints.
Here the token is written to a file only its owner can read (mode 0600, in a
folder of mode 0700, under ``$XDG_RUNTIME_DIR`` when there is one) and Jupyter
reads it through ``JUPYTER_TOKEN_FILE`` (jupyter_server's own setting): the
command line and the environment hold only the file's path. We print the full
local URL with the token, which only the user who started the server sees, and
remove the file when the server stops.

>>> launch = lab_launch(root="notebooks", port=8888, token="t0k3n")
>>> "t0k3n" in " ".join(launch.argv), launch.url
(False, 'http://127.0.0.1:8888/lab?token=t0k3n')
>>> launch.remove()
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["LabLaunch", "lab_launch", "main"]

# JupyterLab's own default port; the next free one is used when it is taken.
DEFAULT_PORT = 8888
# Only this machine: the server is never bound to another interface.
HOST = "127.0.0.1"
# 24 random bytes, as hex: what Jupyter itself generates when it makes a token.
TOKEN_BYTES = 24


@dataclass(frozen=True)
class LabLaunch:
    """What :func:`main` runs: the command, its environment, the URL and the token file."""

    argv: list[str]
    env: dict[str, str] = field(repr=False)
    url: str = field(repr=False)
    token_file: Path

    def remove(self) -> None:
        """Delete the token file and its private folder."""
        shutil.rmtree(self.token_file.parent, ignore_errors=True)


def _free_port(host: str, preferred: int) -> int:
    for port in (preferred, 0):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((host, port))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise OSError(f"no free port on {host}")  # pragma: no cover - bind(0) always works


def _write_token(token: str) -> Path:
    """The token in a new file of mode 0600 inside a new folder of mode 0700."""
    base = os.environ.get("XDG_RUNTIME_DIR")
    folder = Path(tempfile.mkdtemp(prefix="listening-lab-",
                                   dir=base if base and os.path.isdir(base) else None))
    os.chmod(folder, 0o700)  # mkdtemp already does; say it, since it is the promise
    path = folder / "token"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(token)
    return path


def lab_launch(*, root: str | os.PathLike = "notebooks", port: int | None = None,
               token: str | None = None, jupyter: str | None = None) -> LabLaunch:
    """Build the JupyterLab command; the token goes to a private file, never to argv.

    Parameters
    ----------
    root : str or Path
        The folder JupyterLab opens (the project's notebooks).
    port : int, optional
        Port on 127.0.0.1; default: 8888, or a free port if 8888 is taken.
    token : str, optional
        Default: a new random token (``secrets.token_hex(24)``).
    jupyter : str, optional
        The ``jupyter`` executable; default: the one beside this Python.

    Returns
    -------
    LabLaunch
        ``argv`` and ``env`` to run, the ``url`` to open and the ``token_file``
        (call :meth:`LabLaunch.remove` when the server has stopped).
    """
    token = secrets.token_hex(TOKEN_BYTES) if token is None else token
    port = _free_port(HOST, DEFAULT_PORT) if port is None else int(port)
    jupyter = jupyter or str(Path(sys.executable).with_name("jupyter"))
    token_file = _write_token(token)
    argv = [jupyter, "lab", "--no-browser", f"--ServerApp.ip={HOST}",
            f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
            f"--ServerApp.root_dir={root}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")
    env = {k: v for k, v in os.environ.items() if k != "JUPYTER_TOKEN"}
    env["JUPYTER_TOKEN_FILE"] = str(token_file)
    return LabLaunch(argv=argv, env=env, url=f"http://{HOST}:{port}/lab?token={token}",
                     token_file=token_file)


def main(argv: list[str] | None = None) -> int:
    """``python -m listening.lab [--root notebooks] [--port 8888]``: run JupyterLab."""
    parser = argparse.ArgumentParser(prog="python -m listening.lab", description=__doc__.split("\n")[0])
    parser.add_argument("--root", default="notebooks", help="folder JupyterLab opens")
    parser.add_argument("--port", type=int, default=None, help="default: 8888 or a free port")
    args = parser.parse_args(argv)
    jupyter = Path(sys.executable).with_name("jupyter")
    if not jupyter.exists():
        print("JupyterLab is not installed beside this Python: pip install "
              "'listening[notebook]' (make setup installs it)", file=sys.stderr)
        return 1
    launch = lab_launch(root=args.root, port=args.port, jupyter=str(jupyter))
    print(f"JupyterLab on this machine only. Open:\n\n    {launch.url}\n\n"
          "(the token is in a file only you can read; Ctrl+C stops the server)", flush=True)
    previous = {}
    try:
        server = subprocess.Popen(launch.argv, env=launch.env)

        def forward(signum, _frame):
            # Ctrl+C or a stop request: let Jupyter shut its kernels down itself,
            # then we remove the token file (a killed parent would orphan both).
            server.send_signal(signum)

        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, forward)
        return server.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        launch.remove()


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
