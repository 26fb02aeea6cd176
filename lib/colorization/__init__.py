"""Image colorization experiment suite.

Reproduces Depaoli & Mistrali, "Image Colorization using CNN and Autoencoder": networks that
predict Lab's a/b channels from L. Modules:

- ``color``: sRGB <-> CIE Lab, the normalisation conventions, ``recolor`` (keras.ops).
- ``registry``: the models, one row each (network, trainer class, convention, objective);
  ``models`` (layer plans), ``conv`` (their Conv2D, with faster TensorFlow CPU gradients),
  ``norm`` (their batch norm, fused on TensorFlow's CPU path), ``optim`` (Adam, fused on
  TensorFlow), ``colorizer`` / ``classification`` / ``gan`` (trainer classes), ``losses``,
  ``quantize``.
- ``data`` (loading and the Kaggle/embedded policy), ``credentials`` (Kaggle logins,
  redaction), ``download``, ``prepare`` (+ ``prepare_layout``), ``archive`` (+
  ``archive_checks``, ``archive_formats``), ``synthetic``, ``photos``, ``images``.
- ``pipeline`` (tf.data / NumPy input), ``device_data`` (the dataset on the accelerator),
  ``accelerate`` (precision, batch, compile cache, several machines).
- ``runs`` (RunConfig and the run directory), ``run_state`` (lock, per-epoch commits),
  ``resume`` (resuming a run, alone or in a cluster), ``train`` (the fit loop),
  ``callbacks``, ``evaluate``, ``metrics``, ``figures``, ``compare``, ``report``,
  ``experiments`` (one record each), ``claims`` (+ ``claim_rules``, ``claim_table``: the
  paper's claims and their verdicts).
- ``runtime.prepare_tensorflow()``: oneDNN CPU kernels on, TensorFlow quiet; called by the
  entry points, never at import.
- ``fileio``: the one atomic writer.
"""

__version__ = "0.1.0"
