"""The folders licite writes its outputs into (`scrub --out`, `demo --dir`).

licite never deletes or replaces what it did not write. A folder it writes
holds a manifest, `.licite-output.json`, naming what it wrote there (written
last: a folder without it is not a complete output). A target is accepted
when it does not exist or is an empty folder; a folder that holds anything
else is refused, unless its manifest is licite's and `--overwrite` is given,
and then only the files that manifest lists are replaced. A target that is a
symbolic link, a file, or a folder that holds (or lies inside) one of the
run's inputs, the ledger or its keys, is refused outright.

While a run writes, it holds an exclusive lock (`.NAME.licite-lock` beside the
target): a second run to the same target stops at once with "in use". Under
that lock, the staging and spill folders that killed runs left beside the
target (`.NAME.partial-PID`, `.NAME.spill-…`, with a marker file naming the
target) are removed: they hold contact data, and they are the run's own.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from licite.errors import OutputInUse, OutputRefused
from licite.i18n import Text

MANIFEST = ".licite-output.json"
MARKER = ".licite-work"
"""A file inside each staging and spill folder: what lets a later run know it for its own."""


def check_target(target: Path, *, inputs: Iterable[Path], overwrite: bool, what: str) -> list[str]:
    """Refuse a target licite may not write; the files a previous output of `what` listed
    there (to replace), empty for a fresh target."""
    if target.is_symlink():
        raise OutputRefused(
            Text(
                f"{target} : lien symbolique ; licite n'écrit pas à travers un lien"
                " (donnez le dossier lui-même)",
                f"{target}: a symbolic link; licite does not write through a link"
                " (give the folder itself)",
            )
        )
    resolved = target.resolve()
    for given in inputs:
        source = given.resolve()
        if source == resolved or resolved in source.parents or source in resolved.parents:
            raise OutputRefused(
                Text(
                    f"{target} : contient ou recouvre {given}, une entrée de cette commande"
                    " (registre, clés, liste ou campagne) ; choisissez un autre dossier",
                    f"{target}: holds or overlaps {given}, an input of this command"
                    " (ledger, keys, list or campaign); choose another folder",
                )
            )
    if not target.exists():
        return []
    if not target.is_dir():
        raise OutputRefused(
            Text(
                f"{target} : existe et n'est pas un dossier ; licite ne le remplace pas",
                f"{target}: exists and is not a folder; licite does not replace it",
            )
        )
    entries = sorted(entry.name for entry in target.iterdir())
    if not entries:
        return []
    listed = read_manifest(target, what)
    if listed is None:
        raise OutputRefused(
            Text(
                f"{target} : dossier non vide ({len(entries)} élément(s)) qui n'est pas une"
                " sortie de licite ; licite n'efface rien qu'il n'a pas écrit — choisissez un"
                " dossier vide ou nouveau",
                f"{target}: a non-empty folder ({len(entries)} item(s)) that is not a licite"
                " output; licite deletes nothing it did not write — choose an empty or new"
                " folder",
            )
        )
    if not overwrite:
        raise OutputRefused(
            Text(
                f"{target} : contient déjà une sortie de licite ; ajoutez --overwrite pour"
                " remplacer les fichiers qu'elle liste",
                f"{target}: already holds a licite output; add --overwrite to replace the"
                " files it lists",
            )
        )
    return listed


def read_manifest(folder: Path, what: str) -> list[str] | None:
    """The names a licite manifest of `what` lists in `folder`; None if there is none."""
    path = folder / MANIFEST
    if path.is_symlink() or not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8")[:1_000_000])
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("licite") != what:
        return None
    files = data.get("files")
    if not isinstance(files, list) or not all(_plain_name(name) for name in files):
        return None
    return [str(name) for name in files]


def _plain_name(name: object) -> bool:
    """A name directly inside the folder: never a path that leads out of it."""
    return isinstance(name, str) and name not in ("", ".", "..") and "/" not in name


def write_manifest(folder: Path, what: str, files: Iterable[str], *, complete: bool) -> None:
    """The manifest, written whole under a temporary name then renamed in."""
    data: dict[str, Any] = {
        "licite": what,
        "complete": complete,
        "written_at": datetime.now(UTC).isoformat(),
        "files": sorted(files),
    }
    temporary = folder / f"{MANIFEST}.tmp-{os.getpid()}"
    temporary.write_text(json.dumps(data, indent=2), encoding="utf-8")
    os.replace(temporary, folder / MANIFEST)


def remove_listed(folder: Path, names: Iterable[str]) -> None:
    """Remove what a licite manifest listed, never following a link."""
    for name in names:
        path = folder / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


@contextlib.contextmanager
def locked(target: Path) -> Iterator[None]:
    """Hold `.NAME.licite-lock` beside the target; OutputInUse if another run holds it."""
    resolved = target.resolve()
    path = resolved.parent / f".{resolved.name}.licite-lock"
    while True:
        try:
            resolved.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        except OSError as error:
            raise OutputRefused(
                Text(
                    f"{target} : verrou {path} impossible à créer ({error.strerror})",
                    f"{target}: cannot create the lock {path} ({error.strerror})",
                )
            ) from None
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            raise OutputInUse(
                Text(
                    f"{target} : déjà en cours d'écriture par une autre exécution de licite"
                    " (verrou {path}) ; réessayez quand elle sera terminée",
                    f"{target}: in use, another licite run is writing to it (lock {path});"
                    " try again when it has finished",
                )
            ) from None
        # The holder before us may have removed the file once done: lock the file that is
        # there now, or two runs would each hold a lock on a different file.
        try:
            same = os.path.samestat(os.fstat(descriptor), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(descriptor)
    try:
        os.write(descriptor, f"{os.getpid()}\n".encode())
        remove_stale(target)
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        os.close(descriptor)


def work_folder(target: Path, kind: str) -> Path:
    """A fresh staging (`partial`) or spill folder beside the target, marked as this
    target's so that a later run may remove it if this one is killed."""
    resolved = target.resolve()
    folder = resolved.parent / f".{resolved.name}.{kind}-{os.getpid()}"
    if folder.exists() and _ours(folder, target):
        shutil.rmtree(folder)
    folder.mkdir()
    (folder / MARKER).write_text(json.dumps({"for": resolved.name}), encoding="utf-8")
    return folder


def _ours(folder: Path, target: Path) -> bool:
    marker = folder / MARKER
    if folder.is_symlink() or marker.is_symlink() or not marker.is_file():
        return False
    try:
        data = json.loads(marker.read_text(encoding="utf-8")[:10_000])
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("for") == target.resolve().name


def remove_stale(target: Path) -> list[Path]:
    """The staging and spill folders killed runs left for this target, removed (called
    under the lock: no live run of this target is using them)."""
    resolved = target.resolve()
    removed = []
    for kind in ("partial", "spill"):
        for folder in resolved.parent.glob(f".{_glob_escape(resolved.name)}.{kind}-*"):
            if _ours(folder, target):
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
    return removed


def _glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)
