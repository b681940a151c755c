"""Atomic file writes: every file gaia-sim produces appears whole or not at all.

Write to a temporary name in the target's folder, flush it to disk, then ``os.replace`` it onto
the target (atomic on POSIX); a crash leaves at most a hidden ``.<name>.*.tmp`` file behind.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Callable

from gaia_sim.errors import UserError


def atomic_write(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp_path)``, make the file readable by all (0644), then move it onto ``path``."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as err:
        raise UserError(f"{path}: cannot write ({describe_os_error(err)})") from None
    finally:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
    return path


def describe_os_error(err: OSError) -> str:
    """``err`` in a few words, e.g. 'Permission denied' or 'No space left on device'."""
    return err.strerror or type(err).__name__


def check_output_dir(folder: str | Path, what: str = "output folder", inside: str | Path | None = None) -> Path:
    """Make sure ``folder`` can hold results before any work starts; returns it.

    Creates it (and its parents) if missing and writes then removes a probe file, so a read-only
    or full disk, a file in the way or a missing permission is one :class:`UserError` naming the
    folder. With ``inside``, a folder that resolves outside that root is refused too.
    """
    folder = Path(folder)
    if inside is not None and not folder.resolve().is_relative_to(Path(inside).resolve()):
        raise UserError(f"{folder}: {what} must lie inside {inside}")
    in_the_way = next((p for p in (folder, *folder.parents) if p.exists() and not p.is_dir()), None)
    if in_the_way is not None:
        raise UserError(f"{folder}: {what} cannot be created: {in_the_way} is a file, not a folder")
    probe = folder / f".write-probe.{os.getpid()}.{uuid.uuid4().hex[:8]}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        raise UserError(f"{folder}: {what} is not writable ({describe_os_error(err)})") from None
    return folder


def check_output_file(path: str | Path, what: str = "output file") -> Path:
    """The folder of ``path`` can take the file (see :func:`check_output_dir`); ``path`` is no folder."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"{path}: {what} is a folder; give a file name")
    check_output_dir(path.parent if str(path.parent) else Path("."), f"folder of the {what}")
    return path


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` atomically, fsync-ed before the rename."""

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())

    return atomic_write(path, write)
