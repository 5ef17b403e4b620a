"""Settings: model hosts and their models, the store, the remote opt-in, your name; saved to a
file (environment variables override it)."""

import os

import streamlit as st

from workbench.backends import BackendError
from workbench.views.hosts_status import (
    OLLAMA_HOWTO,
    SMALL_MODEL,
    HostStatus,
    model_rows,
    probe_hosts,
    reachable_models,
)
from workbench.settings import (
    ENV_OLLAMA_HOST,
    SettingsFileError,
    env_overrides,
    file_settings,
    load_settings,
    parse_hosts,
    save_settings,
    settings_path,
)
from workbench.serving import network_opt_in, settings_locked
from workbench.views.settings_form import store_rows
from workbench.store import Store, StoreError
from workbench.views.transcript_view import inert_markdown

probe = st.cache_data(ttl=15, show_spinner="Asking the model hosts…")(probe_hosts)

st.title("Settings")
locked = settings_locked(st.get_option("server.address"), network_opt_in())
try:
    saved = file_settings()
except SettingsFileError as exc:
    st.error(str(exc), icon=":material/error:")
    st.stop()
path = settings_path()
st.caption(f"Settings file: `{path}`" + ("" if path.exists() else " (not written yet: defaults)"))
if overrides := env_overrides():
    st.info("Environment variables override the settings file while they are set: "
            + "; ".join(f"{inert_markdown(f'{o.variable}={o.value}')} (overrides {o.setting})"
                        for o in overrides)
            + ". The fields below show and save the file's values.", icon=":material/info:")
if locked:
    st.warning("Read-only while the app is served on the network: a visitor could otherwise send "
               "every transcript to a model host of theirs. Change settings on this machine, in "
               "the settings file above, or serve the app on 127.0.0.1 only.",
               icon=":material/lock:")

st.subheader("Model hosts")
hosts_text = st.text_input(
    "Ollama host(s), comma-separated", ", ".join(saved.ollama_hosts), key="settings_hosts",
    help="A run spreads its conversations over all of them. Forms: http://127.0.0.1:11434, "
    "localhost, 127.0.0.1:11500.", disabled=locked)
allow_remote = st.checkbox(
    "Allow model hosts that are not this machine", saved.allow_remote,
    key="settings_allow_remote", disabled=locked)
st.caption("Off by default, because personas and transcripts are clinical material: they stay "
           "on this machine. Turn it on only for a server you own and trust (a GPU box on your "
           "network, a cluster node); every conversation's text is then sent to it.")
try:
    hosts = parse_hosts(hosts_text)
except BackendError as exc:
    st.error(str(exc), icon=":material/error:")
    st.stop()


def show_hosts(statuses: list[HostStatus]) -> None:
    """Each host: reachable with its models, or unreachable with what to do."""
    for status in statuses:
        host = inert_markdown(status.host)
        if not status.reachable:
            st.markdown(f":red[:material/cancel: **{host}** — unreachable]")
            st.caption(inert_markdown(status.message or OLLAMA_HOWTO))  # may quote the server
            continue
        st.markdown(f":green[:material/check_circle: **{host}** — reachable, "
                    f"{len(status.models)} model(s)]")
        if status.models:
            st.dataframe(model_rows(status), hide_index=True)
        else:
            st.caption(f"No model yet: `ollama pull {SMALL_MODEL}` downloads a small one.")


statuses = probe(tuple(hosts), allow_remote=allow_remote)
show_hosts(statuses)
effective = load_settings()
if os.environ.get(ENV_OLLAMA_HOST) and effective.ollama_hosts != hosts:
    st.markdown(f"In effect now, from `{ENV_OLLAMA_HOST}`:")
    env_statuses = probe(tuple(effective.ollama_hosts), allow_remote=effective.allow_remote)
    show_hosts(env_statuses)
    statuses += env_statuses
if st.button("Check again", key="settings_recheck"):
    probe.clear()
    st.rerun()

st.subheader("Defaults")
specs = [m.spec for m in reachable_models(statuses)]
current = saved.default_patient_model
options = ["", *specs, *([current] if current and current not in specs else [])]
default_model = st.selectbox(
    "Default patient model", options, options.index(current), key="settings_default_model",
    accept_new_options=True, format_func=lambda s: s or "(none)",
    help="Preselected on the Runs and Trainer pages; a spec such as ollama/llama3.2:1b.",
    disabled=locked)
timeout_s = st.number_input(
    "Model timeout (seconds)", min_value=1.0, value=float(saved.model_timeout_s), step=30.0,
    key="settings_timeout", disabled=locked,
    help="How long a run waits for one model reply before retrying the call; a large model on a "
    "slow machine may need more. `workbench run --timeout` overrides it for one run.")
annotator = st.text_input("Your name (annotator)", saved.annotator, key="settings_annotator",
                          help="Recorded on your annotations and trainer transcripts.",
                          disabled=locked)

st.subheader("Store")
store_text = st.text_input("Store file", str(saved.store_path), key="settings_store",
                           help="The SQLite file holding personas, runs, transcripts, "
                           "annotations and embeddings.", disabled=locked)
in_use = effective.store_path
try:
    with Store(in_use) as store:
        stats = store.stats()
except StoreError as exc:
    st.error(str(exc), icon=":material/error:")
else:
    st.caption(f"In use now: `{stats.path}`")
    st.dataframe(store_rows(stats), hide_index=True, key="settings_store_table")

if st.button("Save", key="settings_save", type="primary", disabled=locked) and not locked:
    updated = saved.model_validate({
        **saved.model_dump(), "ollama_hosts": hosts, "allow_remote": allow_remote,
        "annotator": annotator.strip(), "default_patient_model": (default_model or "").strip(),
        "model_timeout_s": float(timeout_s),
        "store_path": store_text.strip() or saved.store_path,
    })
    written = save_settings(updated)
    st.success(f"Saved to `{written}`. Other pages use the new values from their next run"
               + (" (environment variables still override some)." if overrides else "."),
               icon=":material/save:")
