"""Pure domain types and logic: no I/O, no SQL, no network, no streamlit."""
