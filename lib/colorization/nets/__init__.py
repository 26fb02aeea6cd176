"""The networks and how each is trained: the layer plans (:mod:`.models`), the trainers
(:mod:`.colorizer` for regression, :mod:`.classification` for Zhang's rebalanced loss,
:mod:`.gan`), one row per model in :mod:`.registry`, and the TensorFlow CPU rewrites with
their one switch (:mod:`.tf_cpu`).

Layer rule: ``nets`` imports ``core`` only.
"""
