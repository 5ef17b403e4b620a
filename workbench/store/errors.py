"""Errors a user can cause through the store; each message names the thing and the store file."""

from __future__ import annotations


class StoreError(Exception):
    """Base class: the store cannot do what was asked (bad file, unknown id, invalid write)."""


class UnknownRun(StoreError, KeyError):
    """No run with this id."""

    def __init__(self, run_id: str, store: object) -> None:
        super().__init__(f"no run {run_id!r} in store {store}")
        self.run_id = run_id

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


class UnknownConversation(StoreError, KeyError):
    """No conversation with this id."""

    def __init__(self, conversation_id: str, store: object) -> None:
        super().__init__(f"no conversation {conversation_id!r} in store {store}")
        self.conversation_id = conversation_id

    def __str__(self) -> str:
        return str(self.args[0])


class UnknownPersona(StoreError, KeyError):
    """A conversation points to a persona hash the store does not hold."""

    def __init__(self, persona_hash: str, store: object) -> None:
        super().__init__(
            f"no persona {persona_hash!r} in store {store}; store it with upsert_persona() "
            "before adding its conversations"
        )
        self.persona_hash = persona_hash

    def __str__(self) -> str:
        return str(self.args[0])


class UnknownCorpus(StoreError, KeyError):
    """A reference conversation names a corpus that was never registered."""

    def __init__(self, name: str, store: object) -> None:
        super().__init__(
            f"no corpus {name!r} in store {store}; register it with register_corpus() "
            "before importing its conversations"
        )
        self.name = name

    def __str__(self) -> str:
        return str(self.args[0])


class DuplicateTurn(StoreError):
    """A turn with this index is already stored for the conversation."""

    def __init__(self, conversation_id: str, index: int, n_turns: int) -> None:
        super().__init__(
            f"conversation {conversation_id!r} already has turn {index} "
            f"(it has {n_turns} turns, 0..{n_turns - 1}); nothing was written"
        )
        self.conversation_id = conversation_id
        self.index = index


class GapInTurns(StoreError):
    """A turn index skips ahead of the next expected index."""

    def __init__(self, conversation_id: str, index: int, expected: int) -> None:
        super().__init__(
            f"conversation {conversation_id!r} expects turn {expected} next, got turn {index}; "
            "turns are stored in order without gaps; nothing was written"
        )
        self.conversation_id = conversation_id
        self.index = index
        self.expected = expected


class RunClaimed(StoreError):
    """Another live process is executing this run (its heartbeat is recent)."""

    def __init__(self, run_id: str, owner: str, age_s: float, stale_after_s: float) -> None:
        super().__init__(
            f"run {run_id!r} is being executed by another process ({owner}, last heartbeat "
            f"{age_s:.0f} s ago); nothing was changed. Let it finish, or stop it with "
            f"`workbench runs cancel {run_id}`. A process that died is taken over "
            f"automatically once its heartbeat is {stale_after_s:.0f} s old."
        )
        self.run_id = run_id
        self.owner = owner


class RunTakenOver(StoreError):
    """This process lost its claim on a run (it stalled, and another process took the run)."""

    def __init__(self, run_id: str) -> None:
        super().__init__(
            f"run {run_id!r} was taken over by another process while this one stalled; this "
            "process stopped writing to it"
        )
        self.run_id = run_id


RECOVER_HOWTO = (
    "Keep a copy of the file, then salvage what can still be read with the sqlite3 tool: "
    "`sqlite3 {path} .recover | sqlite3 recovered.db`, and point WORKBENCH_STORE (or --store) "
    "at recovered.db. Rows on damaged pages may be lost; everything else comes back."
)


class StoreMissing(StoreError):
    """No store at the path (or an empty file), for a command that only reads."""

    def __init__(self, path: object) -> None:
        super().__init__(
            f"no store at {path} (the file is missing or empty). Check --store or "
            "WORKBENCH_STORE for a typo; commands that write (`workbench run`, `workbench "
            "import`, `workbench demo`) create a new store, and say so."
        )


class StoreFull(StoreError):
    """The disk (or the file system's quota) holding the store is full."""

    def __init__(self, path: object) -> None:
        super().__init__(
            f"the disk holding the store {path} is full. Everything already stored is kept. "
            "Free some space on that disk, then go on where you stopped (a run: `workbench run "
            "--resume RUN_ID`)."
        )


class StoreReadOnly(StoreError):
    """A write to a store that is open read-only (the file or its folder is not writable)."""

    def __init__(self, path: object, detail: str = "") -> None:
        super().__init__(
            f"the store {path} is read-only here (the file or its folder is not writable"
            f"{': ' + detail if detail else ''}), so nothing was changed. Reading works; to "
            "write, give yourself write access to the file and its folder, or copy the file "
            "somewhere writable and point WORKBENCH_STORE (or --store) at the copy."
        )


class StoreCorrupt(StoreError):
    """The file is damaged (or not a database at all)."""

    def __init__(self, path: object, detail: str, *, not_a_database: bool = False) -> None:
        what = (f"{path} is not a workbench store: {detail}. If it was one, it is damaged"
                if not_a_database else f"the store {path} is damaged ({detail})")
        super().__init__(f"{what}. " + RECOVER_HOWTO.format(path=path))
