"""One training run, start to finish: its settings (:mod:`.config`), the run folder with its
lock, per-epoch commits and resume (:mod:`.rundir`), the fit loop (:mod:`.train`) and its
callbacks (:mod:`.callbacks`), accelerators and several machines (:mod:`.accelerate`), the
training set kept on the device (:mod:`.device_data`), evaluation (:mod:`.evaluate`) and
colourising a user's photos (:mod:`.colorize`).

Layer rule: ``runs`` imports ``core``, ``data`` and ``nets`` (never ``acquire``).
"""
