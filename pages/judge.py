"""Judge: score runs on a rubric with a model (a detached job per run, with progress, an
estimate and Cancel), then see how the judge agrees with the human annotators."""

from datetime import UTC, datetime

import streamlit as st

from workbench.analysis.agreement import DEFINITIONS
from workbench.annotation.agreement_report import agreement_report, judge_rows
from workbench.views.hosts_status import probe_hosts, reachable_models
from workbench.jobs.judge import cancel_judge, job_log, job_state, judge_progress, launch_judge
from workbench.library.rubrics import load_rubrics
from workbench.settings import load_settings
from workbench.store import Store
from workbench.views.transcript_view import inert_markdown
from workbench.views.progress import fraction, progress_line

probe = st.cache_data(ttl=15, show_spinner="Asking the model hosts…")(probe_hosts)
st.title("Judge")
st.caption("An LLM judge rates each finished conversation on a rubric's whole-conversation "
           "ratings and labels. Its values are stored as annotations by judge:<model> and "
           "compared with the human annotators below.")
settings = load_settings()
rubrics = load_rubrics(settings.personas_dir)  # a LibraryError is framed by app.py
with Store(settings.store_path) as store:
    runs = {run.id: run for run in store.list_runs()}
if not runs:
    st.info("No runs yet: start one on the Runs page (or `workbench demo`), then come back.")
    st.stop()

with st.form("judge_start"):
    chosen = st.multiselect("Runs to judge", list(runs), key="judge_runs",
                            format_func=lambda r: f"{runs[r].name} · {r}")
    rubric_id = st.selectbox("Rubric", list(rubrics), format_func=lambda r: rubrics[r].label,
                             key="judge_rubric")
    models = [m.spec for m in reachable_models(probe(tuple(settings.ollama_hosts),
                                                     allow_remote=settings.allow_remote))]
    typed = st.text_input("Judge model", value=models[0] if models else "", key="judge_model",
                          placeholder="e.g. ollama/llama3.2:3b",
                          help=inert_markdown("A model spec: " + (  # names come from hosts
                              ", ".join(models) if models else "no model host answers right now")
                              + "."))
    start = st.form_submit_button("Start judging", type="primary")
if start:
    model = typed.strip() if "/" in typed else f"ollama/{typed.strip()}"
    if not chosen or not typed.strip():
        st.error("Choose at least one run and type the judge model, then press Start again.")
    else:
        jobs = st.session_state.setdefault("judge_jobs", [])
        before = st.session_state.setdefault("judge_done_before", {})
        with Store(settings.store_path) as store:
            for run_id in chosen:  # what was judged before: not part of this job's pace
                job = launch_judge(settings.store_path, run_id, rubric_id, model,
                                   hosts=settings.ollama_hosts,
                                   allow_remote=settings.allow_remote)
                before[job.key] = judge_progress(store, run_id, rubric_id, model)[0]
                jobs.append(job)


@st.fragment(run_every=1.0)
def follow() -> None:
    jobs = st.session_state.get("judge_jobs", [])
    if not jobs:
        return
    st.subheader("Judge jobs", anchor=False)
    with Store(settings.store_path) as store:
        for n, job in enumerate(jobs):
            done, total = judge_progress(store, job.run_id, job.rubric, job.model)
            first = st.session_state.get("judge_done_before", {}).get(job.key, 0)
            state = job_state(settings.store_path, job)
            elapsed = (datetime.now(UTC) - job.started).total_seconds()
            line = progress_line(done, total, elapsed, "conversations", done_before=first)
            st.progress(fraction(done, total), text=inert_markdown(
                f"{job.model} on {job.run_id} · {line}"
                + ("" if state == "alive" else " · stopped")))
            if state == "alive":
                if st.button("Cancel", key=f"judge_cancel_{n}"):
                    cancel_judge(settings.store_path, job)
            elif done < total:
                with st.expander("What the job said"):
                    st.code(job_log(settings.store_path, job), language=None,
                            wrap_lines=True)


follow()

st.subheader("Judge against humans", anchor=False)
with Store(settings.store_path) as store:
    annotations = store.annotations()
rubric = rubrics[st.session_state.get("judge_rubric") or next(iter(rubrics))]
report = agreement_report(annotations, rubric)
if not report.judges:
    st.info(inert_markdown(
        f"No judge-vs-human figure for {rubric.label} yet: it needs a rating item scored by a "
        "judge and by a human on at least three of the same conversations."))
else:
    st.dataframe(judge_rows(report), hide_index=True)
    st.caption(DEFINITIONS["judge_spearman"] + " " + DEFINITIONS["judge_kendall"])
