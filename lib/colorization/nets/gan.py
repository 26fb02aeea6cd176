"""A conditional GAN colorizer (Nazeri, Ng & Ebrahimi 2018, after pix2pix).

The generator is the ``gan`` U-Net of :mod:`colorization.nets.models`; the discriminator a
70x70 PatchGAN on ``concat(L, ab)`` (:func:`build_discriminator`). With binary cross-entropy on
logits, every patch a sample::

    d_loss = (BCE(D(L, ab), 1) + BCE(D(L, G(L)), 0)) / 2
    loss   = BCE(D(L, G(L)), 1) + 100 * mean |G(L) - ab|     (normalised ab)

Both networks step on every batch from the same forward pass, with Adam (``beta_1 = 0.5``); one
optimizer holds both networks' moments (Adam is per variable, so this is two Adams).
``train_step`` is written per backend, as Keras 3 requires; the objectives are shared.
"""

from __future__ import annotations

import keras
from keras import layers, ops

from colorization.nets.colorizer import Colorizer

L1_WEIGHT = 100.0
BETA_1 = 0.5
_NORM = {"momentum": 0.9, "epsilon": 1e-5}


def build_discriminator(input_shape=(None, None, 3), filters=(64, 128, 256, 512)) -> keras.Model:
    """70x70 PatchGAN: normalised ``concat(L, ab)`` ``(B, H, W, 3)`` -> patch logits
    ``(B, ceil(H/8), ceil(W/8), 1)`` float32: 4x4 convs, LeakyReLU(0.2), BatchNorm."""
    inputs = keras.Input(shape=tuple(input_shape), name="lightness_ab")
    x = inputs
    for i, n_filters in enumerate(filters, start=1):
        stride = 1 if i == len(filters) else 2
        x = layers.Conv2D(n_filters, 4, strides=stride, padding="same", name=f"disc{i}")(x)
        if i > 1:
            x = layers.BatchNormalization(**_NORM, name=f"disc{i}_norm")(x)
        x = layers.LeakyReLU(0.2, name=f"disc{i}_act")(x)
    x = layers.Conv2D(1, 4, padding="same", name="patch_logits")(x)
    outputs = layers.Activation("linear", dtype="float32", name="logits")(x)
    return keras.Model(inputs, outputs, name="patchgan")


def _bce_logits(target: float, logits):
    """Mean binary cross-entropy of every patch against a constant label, from logits."""
    logits = ops.cast(logits, "float32")
    labels = ops.full_like(logits, target)
    return ops.mean(ops.binary_crossentropy(labels, logits, from_logits=True))


@keras.saving.register_keras_serializable(package="colorization")
class GANColorizer(Colorizer):
    """uint8 RGB -> generated normalised ab; trains the generator ``network`` and the
    ``discriminator`` (default: a new PatchGAN) together, with L1 weight ``l1_weight``."""

    def __init__(self, network, convention="symmetric", discriminator=None,
                 l1_weight=L1_WEIGHT, **kwargs):
        super().__init__(network, convention, **kwargs)
        if discriminator is None:
            discriminator = build_discriminator(tuple(network.input_shape[1:3]) + (3,))
        self.discriminator = discriminator
        self.l1_weight = float(l1_weight)
        self.trackers = [keras.metrics.Mean(name=n) for n in ("loss", "d_loss", "g_adv", "g_l1")]

    @property
    def metrics(self):
        return self.trackers

    def configure(self, make_optimizer, *, loss: str = "adversarial_l1", loss_delta=None,
                  rebalance_lambda=None, train_images=None, jit_compile="auto"):
        """Adam (``beta_1 = 0.5``) at the run's rate and schedule; ``loss`` must be
        ``"adversarial_l1"``."""
        del loss_delta, rebalance_lambda, train_images
        if loss != "adversarial_l1":
            raise ValueError(f"{self.name} trains with 'adversarial_l1', not {loss!r}")
        optimizer = make_optimizer()
        settings = optimizer.get_config()
        if "beta_1" in settings:
            settings["beta_1"] = BETA_1
            optimizer = optimizer.__class__.from_config(settings)
        self.compile(optimizer=optimizer, jit_compile=jit_compile)

    def _objectives(self, lightness, ab, fake, d_real, d_fake):
        d_loss = 0.5 * (_bce_logits(1.0, d_real) + _bce_logits(0.0, d_fake))
        g_adv = _bce_logits(1.0, d_fake)
        g_l1 = ops.mean(ops.abs(ops.cast(fake, "float32") - ab))
        return {"loss": g_adv + self.l1_weight * g_l1, "d_loss": d_loss, "g_adv": g_adv,
                "g_l1": g_l1}

    def _forward(self, lightness, ab, training=True):
        fake = self.network(lightness, training=training)
        d_real = self.discriminator(ops.concatenate([lightness, ab], -1), training=training)
        d_fake = self.discriminator(ops.concatenate([lightness, fake], -1), training=training)
        return self._objectives(lightness, ab, fake, d_real, d_fake)

    def _update_trackers(self, values):
        for tracker in self.trackers:
            tracker.update_state(values[tracker.name])
        return {t.name: t.result() for t in self.trackers}

    def train_step(self, *args):
        backend = keras.backend.backend()
        if backend not in ("jax", "tensorflow", "torch"):
            raise NotImplementedError(f"GANColorizer has no train_step for the {backend} backend")
        return getattr(self, f"_train_step_{backend}")(*args)

    def _split_grads_apply(self, g_grads, d_grads):
        g_vars = self.network.trainable_variables
        d_vars = self.discriminator.trainable_variables
        self.optimizer.apply(list(g_grads) + list(d_grads), g_vars + d_vars)

    def _train_step_tensorflow(self, data):
        import tensorflow as tf  # backend-specific: only on TensorFlow

        x = data[0] if isinstance(data, (tuple, list)) else data
        lightness, ab = self.lightness(x), self.target(x)
        with tf.GradientTape(persistent=True) as tape:
            values = self._forward(lightness, ab)
        g_grads = tape.gradient(values["loss"], self.network.trainable_variables)
        d_grads = tape.gradient(values["d_loss"], self.discriminator.trainable_variables)
        del tape
        self._split_grads_apply(g_grads, d_grads)
        return self._update_trackers(values)

    def _train_step_torch(self, data):
        import torch  # backend-specific: only on PyTorch

        x = data[0] if isinstance(data, (tuple, list)) else data
        lightness, ab = self.lightness(x), self.target(x)
        values = self._forward(lightness, ab)
        g_vars = self.network.trainable_variables
        d_vars = self.discriminator.trainable_variables
        g_grads = torch.autograd.grad(values["loss"], [v.value for v in g_vars],
                                      retain_graph=True)
        d_grads = torch.autograd.grad(values["d_loss"], [v.value for v in d_vars])
        with torch.no_grad():
            self._split_grads_apply(g_grads, d_grads)
        return self._update_trackers({k: v.detach() for k, v in values.items()})

    def _train_step_jax(self, state, data):
        import jax  # backend-specific: only on JAX

        trainable, non_trainable, optimizer_vars, metrics_vars = state
        x = data[0] if isinstance(data, (tuple, list)) else data
        lightness, ab = self.lightness(x), self.target(x)
        t_index = {id(v): i for i, v in enumerate(self.trainable_variables)}
        n_index = {id(v): i for i, v in enumerate(self.non_trainable_variables)}
        g_t = [t_index[id(v)] for v in self.network.trainable_variables]
        d_t = [t_index[id(v)] for v in self.discriminator.trainable_variables]
        g_n = [n_index[id(v)] for v in self.network.non_trainable_variables]
        d_n = [n_index[id(v)] for v in self.discriminator.non_trainable_variables]

        def forward(g_vars, d_vars):
            fake, g_state = self.network.stateless_call(
                g_vars, [non_trainable[i] for i in g_n], lightness, training=True)
            d_state = [non_trainable[i] for i in d_n]
            d_real, d_state = self.discriminator.stateless_call(
                d_vars, d_state, ops.concatenate([lightness, ab], -1), training=True)
            d_fake, d_state = self.discriminator.stateless_call(
                d_vars, d_state, ops.concatenate([lightness, fake], -1), training=True)
            values = self._objectives(lightness, ab, fake, d_real, d_fake)
            return (values["loss"], values["d_loss"]), (values, g_state, d_state)

        (g_loss, d_loss), vjp, (values, g_state, d_state) = jax.vjp(
            forward, [trainable[i] for i in g_t], [trainable[i] for i in d_t], has_aux=True)
        g_grads, _ = vjp((ops.ones_like(g_loss), ops.zeros_like(d_loss)))
        _, d_grads = vjp((ops.zeros_like(g_loss), ops.ones_like(d_loss)))

        grads = [None] * len(trainable)
        for i, grad in zip(g_t + d_t, list(g_grads) + list(d_grads), strict=True):
            grads[i] = grad
        trainable, optimizer_vars = self.optimizer.stateless_apply(
            optimizer_vars, grads, trainable)
        non_trainable = list(non_trainable)
        for i, value in zip(g_n + d_n, list(g_state) + list(d_state), strict=True):
            non_trainable[i] = value

        logs, new_metrics_vars, start = {}, [], 0
        for tracker in self.trackers:
            n = len(tracker.variables)
            tracker_vars = tracker.stateless_update_state(
                metrics_vars[start : start + n], values[tracker.name])
            logs[tracker.name] = tracker.stateless_result(tracker_vars)
            new_metrics_vars += tracker_vars
            start += n
        return logs, (trainable, non_trainable, optimizer_vars, new_metrics_vars)

    def get_config(self):
        return {**super().get_config(),
                "discriminator": keras.saving.serialize_keras_object(self.discriminator),
                "l1_weight": self.l1_weight}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["discriminator"] = keras.saving.deserialize_keras_object(
            config["discriminator"], custom_objects=custom_objects)
        return super().from_config(config, custom_objects=custom_objects)
