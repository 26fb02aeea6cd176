"""Image colorization experiment suite.

Reproduces Depaoli & Mistrali, "Image Colorization using CNN and Autoencoder": networks that
predict Lab's a/b channels from L. Modules:

- ``colorization.color``: sRGB <-> CIE Lab and the normalisation conventions (keras.ops).
- ``colorization.data``: Kaggle datasets, local folders, and the embedded synthetic default.
- ``colorization.pipeline``: tf.data input pipelines (uint8 RGB; Lab computed on the device).
- ``colorization.models`` / ``losses`` / ``train`` / ``metrics`` / ``evaluate``: the engine.
"""

__version__ = "0.1.0"
