"""The store: the only module that speaks SQL. One SQLite file in WAL mode; sqlite-utils builds
the schema in migrations, queries are plain sqlite3.

Example::

    with Store(settings.store_path) as store:
        run = store.create_run(name="pilot", config={}, patient_model="ollama/llama3.2:3b",
                               clinician="scripted/intake")
"""

from workbench.store.errors import (
    DuplicateTurn,
    GapInTurns,
    RunClaimed,
    RunTakenOver,
    StoreCorrupt,
    StoreError,
    StoreFull,
    StoreMissing,
    StoreReadOnly,
    UnknownConversation,
    UnknownCorpus,
    UnknownPersona,
    UnknownRun,
)
from workbench.store.records import (
    Annotation,
    AnnotationStatus,
    ConversationFilter,
    ScoreFilter,
    ConversationPage,
    ConversationSummary,
    CorpusRecord,
    NewConversation,
    PersonaRecord,
    RunProgress,
    RunRecord,
    RunStatus,
    StoreStats,
    TurnHit,
)
from workbench.store.schema import SCHEMA_VERSION
from workbench.store.store import Store, store_exists

__all__ = [
    "SCHEMA_VERSION",
    "Annotation",
    "AnnotationStatus",
    "ConversationFilter",
    "ScoreFilter",
    "ConversationPage",
    "ConversationSummary",
    "CorpusRecord",
    "DuplicateTurn",
    "GapInTurns",
    "NewConversation",
    "PersonaRecord",
    "RunClaimed",
    "RunProgress",
    "RunRecord",
    "RunTakenOver",
    "RunStatus",
    "Store",
    "StoreCorrupt",
    "StoreError",
    "StoreFull",
    "StoreMissing",
    "StoreReadOnly",
    "StoreStats",
    "TurnHit",
    "UnknownConversation",
    "UnknownCorpus",
    "UnknownPersona",
    "UnknownRun",
    "store_exists",
]
