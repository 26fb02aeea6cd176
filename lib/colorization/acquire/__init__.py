"""Getting the real datasets, apart from training: Kaggle logins and the redaction of secrets
(:mod:`.credentials`), the resumable download with retries (:mod:`.download`), safe
extraction of untrusted archives (:mod:`.archive`) and the preparation of each dataset into
the arrays :mod:`colorization.data.datasets` reads (:mod:`.prepare`). Reached only through
``make data`` / ``colorization data``, the data cell of notebook 01 (visibly, when a Kaggle
login is found) and the command line's error messages (which :func:`.credentials.redact`
cleans); training and evaluation never import it.

Layer rule: ``acquire`` imports ``core`` and ``data``; nothing but the command line imports it.
"""
