"""Import and export: transcripts with annotations (JSONL chat format, CSV, Parquet) and real
conversations as reference corpora.

    from workbench.io import export_transcripts, import_transcripts, import_reference
    export_transcripts(store, Path("out.jsonl"), "jsonl", runs=["r-..."])
    import_transcripts(other_store, Path("out.jsonl"))          # identical rows
    import_reference(store, Path("primock57.jsonl"), "primock57")
"""

from workbench.io.errors import ExportPathError, ImportFileError
from workbench.io.export import FORMATS, export_records, export_transcripts, write_export
from workbench.io.records import FORMAT, ExportedConversation
from workbench.io.reference import DEFAULT_SPEAKERS, import_reference, parse_speaker_map
from workbench.io.transcripts import ImportSummary, import_transcripts, read_records

__all__ = [
    "ExportPathError",
    "DEFAULT_SPEAKERS",
    "FORMAT",
    "FORMATS",
    "ExportedConversation",
    "ImportFileError",
    "ImportSummary",
    "export_records",
    "export_transcripts",
    "import_reference",
    "import_transcripts",
    "parse_speaker_map",
    "read_records",
    "write_export",
]
