"""What training reads: datasets by name (:mod:`.datasets`: the prepared Kaggle data or the
embedded real samples of fruits and pets, generated images, scikit-image's photos, any
folder), image files read robustly (:mod:`.images`), the generated stand-ins
(:mod:`.synthetic`, :mod:`.synthetic_animals`, :mod:`.drawing`), the never-seen photos
(:mod:`.photos`) and the tf.data / NumPy input pipeline (:mod:`.pipeline`). Reading only:
nothing here downloads.

Layer rule: ``data`` imports ``core`` only (never ``acquire``).
"""
