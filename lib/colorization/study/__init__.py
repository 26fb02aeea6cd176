"""The reproduction itself: the paper's experiments at three scales (:mod:`.experiments`), its
claims and the rules that decide them (:mod:`.claims`), the comparisons the notebooks draw
(:mod:`.compare`), the figures (:mod:`.figures`), the report (:mod:`.report`), ``make
reproduce`` (:mod:`.reproduce`) and the notebooks' first cell (:mod:`.notebook`).

Layer rule: ``study`` imports ``core``, ``data``, ``nets`` and ``runs`` (never ``acquire``:
running an experiment trains, and training never downloads).
"""
