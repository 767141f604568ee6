"""Legacy Word (DOC, RTF) and WPS files, through a converter in a subprocess.

LibreOffice headless converts the file to DOCX (tables and merged cells survive), which then goes
through the DOCX parser; without LibreOffice, antiword gives the text (tables as text lines, which the
text-table reader may still map). Each converter runs with a timeout, in a private temporary
directory (its own LibreOffice profile too, so parallel conversions never share a lock), and is
killed with its process group when it overruns. Without any converter the report is kept and marked
``unparsed: converter missing`` — never dropped.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from pathlib import Path

from crawler.parsing.attachments.common import AttachmentError, clean_text, pick_title
from crawler.parsing.dispatch import ParseLimits
from crawler.parsing.grid import Grid

CONVERT_TIMEOUT = 90.0  # seconds; LibreOffice's cold start alone takes a few


def soffice_path() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def antiword_path() -> str | None:
    return shutil.which("antiword")


def _run(cmd: list[str], cwd: str, timeout: float) -> subprocess.CompletedProcess[bytes]:
    """Run a converter in its own process group; kill the whole group on timeout."""
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        env={**os.environ, "HOME": cwd},
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise AttachmentError(
            "unparsed", f"unparsed: converter timed out after {timeout:.0f}s ({Path(cmd[0]).name})"
        ) from exc
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


_PROFILE_LOCK = threading.Lock()
_profile_dir: str | None = None


def _profile() -> Path:
    """One LibreOffice user profile per process: its first start costs seconds, later ones reuse it.

    Conversions hold ``_PROFILE_LOCK``, so two threads never share the profile at the same time.
    """
    global _profile_dir
    if _profile_dir is None or not Path(_profile_dir).is_dir():
        _profile_dir = tempfile.mkdtemp(prefix="nianbao-soffice-profile-")
        atexit.register(shutil.rmtree, _profile_dir, True)
    return Path(_profile_dir)


def convert_with_soffice(payload: bytes, suffix: str, timeout: float = CONVERT_TIMEOUT) -> bytes | None:
    """DOC/WPS/RTF bytes -> DOCX bytes with LibreOffice, or None if it produced nothing."""
    exe = soffice_path()
    if exe is None:
        return None
    with _PROFILE_LOCK, tempfile.TemporaryDirectory(prefix="nianbao-soffice-") as tmp:
        src = Path(tmp) / f"input.{suffix}"
        src.write_bytes(payload)
        out_dir = Path(tmp) / "out"
        out_dir.mkdir()
        profile = _profile()
        _run(
            [
                exe,
                f"-env:UserInstallation={profile.as_uri()}",
                "--headless",
                "--norestore",
                "--nolockcheck",
                "--convert-to",
                "docx:MS Word 2007 XML",
                "--outdir",
                str(out_dir),
                str(src),
            ],
            tmp,
            timeout,
        )
        produced = list(out_dir.glob("*.docx"))
        return produced[0].read_bytes() if produced else None


def text_with_antiword(payload: bytes, timeout: float = 30.0) -> str | None:
    exe = antiword_path()
    if exe is None:
        return None
    with tempfile.TemporaryDirectory(prefix="nianbao-antiword-") as tmp:
        src = Path(tmp) / "input.doc"
        src.write_bytes(payload)
        done = _run([exe, "-m", "UTF-8.txt", "-w", "0", str(src)], tmp, timeout)
        if done.returncode != 0:
            return None
        return done.stdout.decode("utf-8", "replace")


def parse_doc(payload: bytes, suffix: str, limits: ParseLimits) -> tuple[str, list[Grid], str | None, str]:
    """(text, grids, title, converter used) of a DOC/WPS/RTF file.

    Kingsoft WPS files are Word-format OLE containers; LibreOffice reads them as .doc (named .wps it
    would take them for Microsoft Works), so any OLE file with a WordDocument stream goes in as .doc.
    """
    from crawler.parsing.attachments.docx import parse_docx

    if soffice_path() is None and antiword_path() is None:
        raise AttachmentError("unparsed", "unparsed: converter missing (install LibreOffice or antiword)")
    if suffix != "rtf" and "WordDocument".encode("utf-16-le") in payload[: 4 << 20]:
        suffix = "doc"
    failure: AttachmentError | None = None
    docx = None
    try:
        docx = convert_with_soffice(payload, suffix, timeout=CONVERT_TIMEOUT)
    except AttachmentError as exc:  # timed out: antiword may still read it
        failure = exc
    if docx:
        text, grids, title = parse_docx(docx, limits)
        return text, grids, title, "soffice"
    if suffix != "rtf":
        raw = text_with_antiword(payload, timeout=min(30.0, CONVERT_TIMEOUT))
        if raw and raw.strip():
            text = "\n".join(clean_text(line) for line in raw.splitlines() if clean_text(line))
            return text, [], pick_title(text.splitlines()), "antiword"
    if failure is not None:
        raise failure
    if soffice_path() is None and suffix == "rtf":
        raise AttachmentError("unparsed", "unparsed: converter missing (RTF needs LibreOffice)")
    raise AttachmentError("error", f"corrupt {suffix.upper()}: the converters could not read the file")
