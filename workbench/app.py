"""Streamlit entry point: `streamlit run workbench/app.py`.

Only builds the navigation; each page is a short script under the top-level ``pages/`` folder
that reads widgets, calls the library and renders. A fault of the store (disk full, read-only,
damaged, missing) on any page is shown in one frame: the message and what to do, no traceback.
"""

from pathlib import Path

import streamlit as st

from workbench.serving import exposure, network_opt_in
from workbench.library import LibraryError
from workbench.store import StoreError
from workbench.views.transcript_view import inert_markdown


def show_store_error(error: StoreError) -> None:
    """The one error frame every page shares for store faults: what happened, what to do."""
    st.error(f"The store cannot do this: {inert_markdown(str(error))}", icon=":material/database:")
    st.caption("Nothing already stored was changed. Fix the cause above, then reload the page.")


def show_library_error(error: LibraryError) -> None:
    """The one frame for a persona library (or rubric) file a page cannot read: which file, what
    is wrong; the other pages keep working."""
    st.error("The persona library has problems; fix them and reload:\n\n"
             + inert_markdown(str(error)), icon=":material/description:")


# A local image: a Material Symbols page icon makes the browser fetch it from Google's servers.
st.set_page_config(page_title="Persona Workbench", layout="wide",
                   page_icon=str(Path(__file__).parent / "assets" / "page_icon.png"))
served = exposure(st.get_option("server.address"), network_opt_in())
if served.refused:
    st.error(served.message, icon=":material/lock:")
    st.stop()
if served.message:  # on every page: the app is reachable from other machines, on purpose
    st.warning(served.message, icon=":material/public:")

navigation = st.navigation(
    {
        "Personas": [
            st.Page("../pages/personas.py", title="Personas", icon=":material/groups:", default=True),
            st.Page("../pages/compose.py", title="Compose", icon=":material/edit_note:"),
            st.Page("../pages/profile.py", title="New profile", icon=":material/person_add:"),
        ],
        "Simulate": [
            st.Page("../pages/runs.py", title="Runs", icon=":material/play_circle:"),
            st.Page("../pages/trainer.py", title="Trainer", icon=":material/school:"),
        ],
        "Read": [
            st.Page("../pages/transcripts.py", title="Transcripts", icon=":material/forum:"),
            st.Page("../pages/compare.py", title="Compare", icon=":material/compare:"),
            st.Page("../pages/twins.py", title="Twins", icon=":material/join_inner:"),
            st.Page("../pages/clusters.py", title="Clusters", icon=":material/scatter_plot:"),
            st.Page("../pages/metrics.py", title="Metrics", icon=":material/analytics:"),
            st.Page("../pages/matrix.py", title="Experiment matrix", icon=":material/grid_on:"),
        ],
        "Annotate": [
            st.Page("../pages/annotate.py", title="Annotate", icon=":material/rate_review:"),
            st.Page("../pages/ab.py", title="Blind A/B", icon=":material/thumbs_up_down:"),
            st.Page("../pages/adjudicate.py", title="Adjudicate", icon=":material/gavel:"),
            st.Page("../pages/agreement.py", title="Agreement", icon=":material/handshake:"),
            st.Page("../pages/judge.py", title="Judge", icon=":material/balance:"),
        ],
        "Workbench": [
            st.Page("../pages/settings.py", title="Settings", icon=":material/settings:"),
        ],
    }
)
try:
    navigation.run()
except StoreError as exc:  # only these errors: Streamlit's own stop/rerun pass through
    show_store_error(exc)
except LibraryError as exc:
    show_library_error(exc)
