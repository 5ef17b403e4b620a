"""Twins: personas whose profile holds what a real patient disclosed in one conversation.

    draft = await extract_twin(library, transcript, backend)   # a model reads the conversation
    save_twin(library, draft.profile, draft.persona)            # after the user's review

A twin's profile records its source (corpus, conversation id) and the extraction model; facts
the conversation did not give stay empty. ``workbench twins make`` does a whole corpus.
"""

from workbench.twins.extraction import (
    EXTRACTION_TEMPLATE,
    ExtractionError,
    extraction_prompt,
    parse_extraction,
    profile_from_facts,
)
from workbench.twins.making import (
    TwinDraft,
    TwinOutcome,
    extract_twin,
    hand_twin,
    make_twins,
    save_twin,
    twin_ids,
    twin_persona,
)

__all__ = [
    "EXTRACTION_TEMPLATE", "ExtractionError", "TwinDraft", "TwinOutcome", "extract_twin",
    "extraction_prompt", "hand_twin", "make_twins", "parse_extraction", "profile_from_facts",
    "save_twin", "twin_ids", "twin_persona",
]
