"""The real datasets: Kaggle credentials and the redaction of secrets (:mod:`.credentials`),
the download (:mod:`.download`), safe extraction (:mod:`.archive`) and the preparation into
arrays (:mod:`.prepare`). Imports ``core`` and ``data``; only the command line and notebook 01
import it, never training or evaluation.
"""
