"""Jobs the app starts outside its page scripts: runs (``launch``) and judge passes (``judge``),
each a detached ``python -m workbench`` process whose progress is read back from the store."""
