"""What the engine answers to `retain` for each person and each sender that holds them.

Never a second reading of SPEC 1.6: each answer is the engine's decision on the request
`{action: retain}` for one sender, as `decide_person` makes it (the path of `licite
decide --person`), so the retention readings the engine has are the ones a run applies.
Only the reading of the ledger is batched: a page of people's records and histories in a
few statements (`licite.ledger.history.histories_as_of`) instead of five a person, each
then decided by `decide_read`, the end of `decide_person`'s own path;
tests/test_retention_batched.py holds every answer equal to `decide_person`'s.

Who holds a person: every sender named on one of their events (`all`, the objection's
"every sender", is no sender). A person whose events name none is held by each sender of
the registered campaigns but the political ones (a political file holds only the people
it names: CNIL délib. 2012-020), else by `operator`. A sender is described (its kind, its
`election_ends` for a political sender) by the latest registered campaign that names it;
else it is a company.

A person is erased only when every sender that holds them answers RETENTION-EXPIRED or
POLITICAL-ELECTION-ENDED: an erasure destroys the person's key, for all senders at once,
so one sender that may still keep them keeps them whole.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from multiprocessing.pool import AsyncResult

from licite.case import Campaign, Person, Request, Sender
from licite.decision import Decision
from licite.engine import check_modelled
from licite.errors import LiciteError, NotModelled
from licite.i18n import Text
from licite.ledger.decide import decide_person, decide_read
from licite.ledger.history import AsOf, effective_sender, histories_as_of
from licite.ledger.ledger import Ledger
from licite.vocabulary import SenderKind

ERASE = frozenset({"RETENTION-EXPIRED", "POLITICAL-ELECTION-ENDED"})
"""Codes after which the data must be gone (SPEC 1.6)."""
SUPPRESSION = "SUPPRESSION-RECORD"
UNDECIDED = "UNDECIDED"
"""No answer (the engine refused the history or the moment): never erased."""
OPERATOR = "operator"
_PAGE = 2000
_RETAIN = Request.model_validate({"action": "retain"})


@dataclass(frozen=True, slots=True)
class Answer:
    """One sender's `retain` decision about one person."""

    sender: str
    code: str
    """The basis when allowed, else the first blocking code (or UNDECIDED)."""
    expires_at: datetime | None
    clock_start: datetime | None = None
    """For an erasing code: the latest dated fact behind it (from the decision's evidence)."""
    clock_end: datetime | None = None
    """For an erasing code: the lapse."""
    problem: Text | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    person: str
    answers: tuple[Answer, ...]

    @property
    def erase(self) -> bool:
        return bool(self.answers) and all(a.code in ERASE for a in self.answers)

    @property
    def suppression_only(self) -> bool:
        """Kept only as a suppression record: no sender keeps them otherwise."""
        return (
            not self.erase
            and any(a.code == SUPPRESSION for a in self.answers)
            and all(a.code in ERASE or a.code == SUPPRESSION for a in self.answers)
        )

    @property
    def code(self) -> str:
        """The code that decides the run's action: the first erasing one when erased."""
        if self.erase:
            return self.answers[0].code
        if self.suppression_only:
            return SUPPRESSION
        kept = [a.code for a in self.answers if a.code not in ERASE and a.code != SUPPRESSION]
        return kept[0] if kept else UNDECIDED


class Plan:
    """The answers of one run: at one moment, optionally for one sender's people."""

    def __init__(self, ledger: Ledger, at: datetime, sender: str | None = None) -> None:
        check_modelled(_RETAIN, at)  # a moment licite does not model: exit 3, nothing begun
        self.ledger = ledger
        self.at = at
        self.sender = sender
        self.senders = _described(ledger)
        self._campaigns = {
            sid: Campaign(sender=s, request=_RETAIN) for sid, s in self.senders.items()
        }
        self._effective: dict[str, Sender] = {}

    def campaign(self, sender: str) -> Campaign:
        found = self._campaigns.get(sender)
        if found is None:
            found = self._campaigns[sender] = Campaign(sender=Sender(id=sender), request=_RETAIN)
        return found

    def pages(self) -> Iterator[list[tuple[str, tuple[str, ...]]]]:
        """Each page of people not erased yet, in id order, with the senders that hold them."""
        default = tuple(
            sorted(s for s, d in self.senders.items() if d.kind != SenderKind.POLITICAL)
        ) or (OPERATOR,)
        after = ""
        while True:
            ids = [
                str(r[0])
                for r in self.ledger.store.read(
                    "SELECT id FROM persons WHERE erased_at_us IS NULL AND id > ?"
                    " ORDER BY id LIMIT ?",
                    (after, _PAGE),
                )
            ]
            if not ids:
                return
            holders = _holders(self.ledger, ids[0], ids[-1])
            page = [(person, holders.get(person) or default) for person in ids]
            yield [(p, held) for p, held in page if self.sender is None or self.sender in held]
            after = ids[-1]

    def people(self) -> Iterator[tuple[str, tuple[str, ...]]]:
        """Each person not erased yet, in id order, with the senders that hold them."""
        for page in self.pages():
            yield from page

    def verdict(self, person: str, held: tuple[str, ...]) -> Verdict:
        """One person's verdict, each answer by `decide_person` (the path of `licite decide
        --person`, five statements an answer): what `verdicts_of` must equal."""
        return Verdict(person, tuple(self.answer(person, s) for s in held))

    def answer(self, person: str, sender: str) -> Answer:
        campaign = self.campaign(sender)
        return _answered(sender, lambda: decide_person(self.ledger, person, campaign, self.at))

    def verdicts_of(self, page: list[tuple[str, tuple[str, ...]]]) -> list[Verdict]:
        """The verdicts of a page of people (in id order), its people and histories read at
        once (`histories_as_of`) and each answer decided by the engine as `decide_person`
        decides it (`decide_read`): the same answers as `verdict`, a few statements a page."""
        read = histories_as_of(self.ledger, [person for person, _ in page], self.at)
        verdicts = []
        for person, held in page:
            found, made = read[person], dict[str, Person]()  # the person as the engine reads them
            answers = tuple(_answered(s, partial(self._decide, found, s, made)) for s in held)
            verdicts.append(Verdict(person, answers))
        return verdicts

    def _decide(self, found: AsOf, sender: str, made: dict[str, Person]) -> Decision:
        stored, history = found.stored, found.history  # what reading them raised, if anything
        person = made.get(stored.id)
        if person is None:
            person = made[stored.id] = stored.as_case_person()
        campaign, effective = self.campaign(sender), self.effective(sender)
        return decide_read(stored, person, history, campaign, effective, self.at)

    def effective(self, sender: str) -> Sender:
        """The sender as `decide_person` sees it at the plan's moment (`effective_sender`)."""
        found = self._effective.get(sender)
        if found is None:
            campaign = self.campaign(sender)
            found = effective_sender(self.ledger, campaign.sender, self.at)
            self._effective[sender] = found
        return found

    def verdicts(
        self, workers: int = 1, environ: Mapping[str, str] | None = None
    ) -> Iterator[Verdict]:
        """Every verdict, in person order, a page at a time (`verdicts_of`). With `workers`
        > 1, decided by that many processes, each with its own connection to the ledger
        (opened with `environ`), reading only: the answers are the same, the order too."""
        if workers <= 1:
            for page in self.pages():
                yield from self.verdicts_of(page)
            return
        context = multiprocessing.get_context("spawn")  # never a forked SQLite connection
        setup = (self.ledger.location.url, dict(environ or os.environ), self.at, self.sender)
        with context.Pool(workers, initializer=_start_worker, initargs=setup) as pool:
            # This thread reads the people (the connection is its own); the pool decides.
            pending: deque[AsyncResult[list[Verdict]]] = deque()
            for chunk in _chunks(self.people()):
                pending.append(pool.apply_async(_decide_chunk, (chunk,)))
                while len(pending) > 2 * workers:
                    yield from pending.popleft().get()
            while pending:
                yield from pending.popleft().get()


def _answered(sender: str, decide: Callable[[], Decision]) -> Answer:
    """The `Answer` of one `retain` decision, or UNDECIDED with the reason it was refused."""
    try:
        decision = decide()
    except NotModelled:
        raise  # the run's moment, not this person: the whole run is refused (exit 3)
    except LiciteError as error:
        return Answer(sender, UNDECIDED, None, problem=error.text)
    code = (decision.basis if decision.allowed else decision.codes[0]) or UNDECIDED
    if code not in ERASE:
        return Answer(sender, code, decision.expires_at)
    start, end = clock(decision, code)  # evidence costs a decision: only when it is shown
    return Answer(sender, code, decision.expires_at, start, end)


_WORKER: Plan | None = None
_CHUNK = 500


def _start_worker(url: str, environ: dict[str, str], at: datetime, sender: str | None) -> None:
    global _WORKER
    _WORKER = Plan(Ledger.open(url, environ=environ, must_exist=True), at, sender)


def _decide_chunk(chunk: list[tuple[str, tuple[str, ...]]]) -> list[Verdict]:
    assert _WORKER is not None
    return _WORKER.verdicts_of(chunk)


def _chunks(
    people: Iterator[tuple[str, tuple[str, ...]]],
) -> Iterator[list[tuple[str, tuple[str, ...]]]]:
    chunk: list[tuple[str, tuple[str, ...]]] = []
    for item in people:
        chunk.append(item)
        if len(chunk) == _CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _holders(ledger: Ledger, first: str, last: str) -> dict[str, tuple[str, ...]]:
    rows = ledger.store.read(
        "SELECT DISTINCT person_id, sender FROM events WHERE person_id >= ? AND person_id <= ?"
        " AND sender IS NOT NULL AND sender <> 'all'",
        (first, last),
    )
    found: dict[str, list[str]] = {}
    for person, sender in rows:
        found.setdefault(str(person), []).append(str(sender))
    return {p: tuple(sorted(s)) for p, s in found.items()}


def _described(ledger: Ledger) -> dict[str, Sender]:
    """Each sender of a registered campaign, as its latest campaign describes it."""
    senders: dict[str, Sender] = {}
    rows = ledger.store.read("SELECT document FROM campaigns ORDER BY added_at_us, id, version")
    for (document,) in rows:
        try:
            sender = Sender.model_validate(json.loads(document)["sender"])
        except (ValueError, KeyError, TypeError):
            continue  # validated when added; an unreadable one describes no one
        senders[sender.id] = sender
    return senders


def clock(decision: Decision, code: str) -> tuple[datetime | None, datetime | None]:
    """When the clock behind `code` started and ended, from the decision's own evidence:
    the latest dated fact before the lapse, and the lapse."""
    facts = decision.evidence.get(code, ())
    ends = [f.at for f in facts if f.type == "lapse"]
    starts = [f.at for f in facts if f.type != "lapse"]
    return (max(starts) if starts else None, max(ends) if ends else None)
