"""What training reads: datasets by name or folder (:mod:`.datasets`), image files
(:mod:`.images`), generated stand-ins (:mod:`.synthetic`), scikit-image's photos
(:mod:`.photos`) and the input pipelines (:mod:`.pipeline`). Nothing here downloads; ``data``
imports ``core`` only."""
