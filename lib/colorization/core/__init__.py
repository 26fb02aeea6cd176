"""The science and the plumbing everything else stands on: sRGB <-> CIE Lab and the two
normalisations (:mod:`.color`), the metrics with their gray baseline (:mod:`.metrics`), the
regression losses (:mod:`.losses`), Zhang's quantised ab space (:mod:`.quantize`), the one
atomic file writer (:mod:`.fileio`), the project's folders (:mod:`.paths`) and the process
settings made before Keras loads (:mod:`.runtime`).

Layer rule: ``core`` imports no other part of the package.
"""
