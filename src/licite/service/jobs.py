"""`POST /v1/scrub`: a whole list decided in the background, as a job with progress.

A job lives in a directory of its own under `LICITE_SCRUB_DIR/jobs/<id>` (a
random id): the list, the campaign as it was registered, `status.json` (state,
progress, outputs) and the scrub's outputs. State is kept on disk, not in a
process, so any worker of the machine can answer about it. A list is uploaded
in the request, or named among the files an operator put in
`LICITE_SCRUB_DIR/inputs` (never a path elsewhere on the server). Only the key
that started a job, or an admin key, reads it.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from licite.errors import LiciteError, ProblemError
from licite.i18n import Lang, Text
from licite.scrub.run import scrub

OUTPUTS = ("allowed.csv", "blocked.csv", "rejected.csv", "summary.json", "report.html")
_MEDIA = {".csv": "text/csv", ".json": "application/json", ".html": "text/html"}


def media_type(name: str) -> str:
    return _MEDIA[Path(name).suffix]


def _not_found(job_id: str) -> ProblemError:
    return ProblemError(
        "not-found",
        Text(f"job : aucun travail {job_id!r}", f"job: no job {job_id!r}"),
    )


class Jobs:
    def __init__(self, root: Path, database_url: str | None, lang: Lang) -> None:
        self.root = root
        self.database_url = database_url
        self.lang = lang
        self._running = threading.Semaphore(1)

    def _dir(self, job_id: str) -> Path:
        if not job_id.isalnum() or len(job_id) > 64:
            raise _not_found(job_id)
        return self.root / "jobs" / job_id

    def start(
        self,
        *,
        key_id: str,
        campaign: dict[str, Any],
        contacts: str | None,
        file: str | None,
        at: datetime | None,
    ) -> dict[str, Any]:
        source = self._source(contacts, file)
        job_id = secrets.token_hex(12)
        directory = self._dir(job_id)
        directory.mkdir(parents=True)
        list_path = directory / "contacts.csv"
        if isinstance(source, str):
            list_path.write_text(source, encoding="utf-8")
        else:
            list_path = source
        campaign_path = directory / "campaign.json"
        campaign_path.write_text(json.dumps(campaign, ensure_ascii=False), encoding="utf-8")
        status: dict[str, Any] = {
            "id": job_id,
            "key_id": key_id,
            "state": "queued",
            "progress": [],
            "outputs": [],
            "problem": None,
            "started_at": time.time(),
        }
        self._save(directory, status)
        answer: dict[str, Any] = json.loads(
            json.dumps(self._public(status))
        )  # not `status`: its thread changes it
        thread = threading.Thread(
            target=self._run,
            args=(directory, status, list_path, campaign_path, at),
            name=f"scrub-{job_id}",
            daemon=True,
        )
        thread.start()
        return answer

    def _source(self, contacts: str | None, file: str | None) -> str | Path:
        if (contacts is None) == (file is None):
            raise ProblemError(
                "invalid-input",
                Text(
                    "contacts, file : donnez l'un des deux (la liste, ou le nom d'un fichier"
                    " du dossier inputs du serveur)",
                    "contacts, file: give one of them (the list, or the name of a file in the"
                    " server's inputs directory)",
                ),
            )
        if contacts is not None:
            return contacts
        assert file is not None
        inputs = (self.root / "inputs").resolve()
        path = (inputs / file).resolve()
        if path.parent != inputs or not path.is_file():
            raise ProblemError(
                "invalid-input",
                Text(
                    f"file : {file!r} n'est pas un fichier du dossier inputs du serveur",
                    f"file: {file!r} is not a file of the server's inputs directory",
                ),
            )
        return path

    def _run(
        self,
        directory: Path,
        status: dict[str, Any],
        contacts: Path,
        campaign: Path,
        at: datetime | None,
    ) -> None:
        def progress(step: str) -> None:
            status["progress"].append(step)
            self._save(directory, status)

        with self._running:
            status["state"] = "running"
            self._save(directory, status)
            self._scrub(directory, status, contacts, campaign, at, progress)
        self._save(directory, status)

    def _scrub(
        self,
        directory: Path,
        status: dict[str, Any],
        contacts: Path,
        campaign: Path,
        at: datetime | None,
        progress: Callable[[str], None],
    ) -> None:
        try:
            scrub(
                contacts,
                campaign,
                directory / "out",
                database_url=self.database_url,
                at=at,
                lang=self.lang,
                progress=progress,
                threads=1,
                memory_limit="1GB",
            )
            status["state"] = "done"
            status["outputs"] = [n for n in OUTPUTS if (directory / "out" / n).is_file()]
        except LiciteError as error:
            status["state"] = "failed"
            status["problem"] = {"fr": error.text.fr, "en": error.text.en}
        except Exception as error:  # a job must end, whatever happened
            status["state"] = "failed"
            status["problem"] = {
                "fr": "erreur interne",
                "en": f"internal error ({type(error).__name__})",
            }

    def status(self, job_id: str, key_id: str, admin: bool) -> dict[str, Any]:
        path = self._dir(job_id) / "status.json"
        try:
            status: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise _not_found(job_id) from None
        if status["key_id"] != key_id and not admin:
            raise _not_found(job_id)  # another key's job is not even said to exist
        return self._public(status)

    def output(self, job_id: str, name: str, key_id: str, admin: bool) -> Path:
        status = self.status(job_id, key_id, admin)
        if name not in status["outputs"]:
            raise ProblemError(
                "not-found",
                Text(
                    f"name : pas de sortie {name!r} pour ce travail ({status['state']})",
                    f"name: no output {name!r} for this job ({status['state']})",
                ),
            )
        return self._dir(job_id) / "out" / name

    @staticmethod
    def _public(status: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in status.items() if k not in ("key_id", "started_at")}

    @staticmethod
    def _save(directory: Path, status: dict[str, Any]) -> None:
        temporary = directory / f".status.{threading.get_ident()}.json"
        temporary.write_text(json.dumps(status), encoding="utf-8")
        os.replace(temporary, directory / "status.json")
