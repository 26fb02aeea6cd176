"""Image colorization experiment suite.

Reproduces Depaoli & Mistrali, "Image Colorization using CNN and Autoencoder": networks that
predict Lab's a/b channels from L. The package is in layers; each subpackage imports only
those below it (``tests/test_architecture.py`` enforces it):

- ``core``: colour maths, metrics, losses, quantised ab, files, folders, process settings;
- ``data``: datasets by name, the embedded real samples, generated images, photos, input
  pipeline (reading only);
- ``nets``: the networks, their trainers, the model registry, the TensorFlow CPU rewrites;
- ``acquire``: Kaggle logins, download, safe extraction, preparation (``make data``);
- ``runs``: one training run (config, run folder, fit loop, evaluation, colourising photos);
- ``study``: the paper's experiments and claims, comparisons, figures, report, ``make
  reproduce``;
- ``cli``: the ``colorization`` command line, over all of them.

Nothing runs at import time.
"""

__version__ = "0.1.0"
