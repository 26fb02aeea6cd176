"""Image colorization experiment suite.

Reproduces Depaoli & Mistrali, "Image Colorization using CNN and Autoencoder": networks that
predict Lab's a/b channels from L. Modules:

- ``color``: sRGB <-> CIE Lab, the normalisation conventions, ``recolor`` (keras.ops).
- ``registry``: the models, one row each (network, trainer class, convention, objective);
  ``models`` (layer plans), ``colorizer`` / ``classification`` / ``gan`` (trainer classes),
  ``losses``, ``quantize``.
- ``data`` (loading and the Kaggle/synthetic policy), ``download`` (Kaggle token and
  download), ``prepare``, ``synthetic``, ``photos``, ``images``, ``pipeline`` (tf.data).
- ``runs`` (RunConfig and the run directory), ``train`` (the fit loop), ``callbacks``,
  ``evaluate``, ``metrics``, ``figures``, ``report``, ``experiments`` (one record each).
- ``runtime.quiet()``: quiet TensorFlow; called by the entry points, never at import.
- ``fileio``: the one atomic writer.
"""

__version__ = "0.1.0"
