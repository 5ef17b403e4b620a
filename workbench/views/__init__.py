"""Page helpers: pure functions that shape what a page shows (rows, labels, figures, lines).

No streamlit here; pages call these and render the result.
"""
