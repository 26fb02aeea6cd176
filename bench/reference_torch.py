"""PyTorch reference of the five paper networks, for the training-speed benchmarks.

Not part of the library (PyTorch is an optional dependency): ``bench/train_speed.py`` (CPU)
and ``bench/gpu.py`` (GPU) time the project's own Keras training step beside this one, in
the same process, on the same uint8 images.

Each ``nn.Module`` follows the layer plan of :mod:`colorization.nets.models` exactly (read from the
same ``ZHANG_SPECS`` / ``AUTOENCODER_SPECS``, so a change there changes both): reflect-pad to a
multiple of 8, 3x3 convs + ReLU (stride on a block's last conv, dilation 2 where the spec says),
BatchNorm (momentum 0.1 = Keras 0.9, eps 1e-5) after each Zhang block, Zhang's 4x4 transposed
conv or Conv + BN + bilinear upsampling in the decoder, a 2-channel head, crop back, then
sigmoid (CNNs) or tanh (autoencoders) in float32. Parameter counts equal the Keras models'
(``--check`` asserts it, and with Keras weights copied in, that both compute the same function).

The one deliberate difference: a stride-2 3x3 conv pads (1, 1) here, PyTorch's idiom, where
Keras' ``padding="same"`` pads (0, 1) on even sizes (TensorFlow's convention). Same cost, a
half-pixel shift of the sampling grid. ``tf_padding=True`` reproduces Keras exactly (used by
``--check``); the benchmarks use the idiomatic form, which is what a PyTorch user would write.

The training step (:class:`TorchTrainer`) is the project's: uint8 RGB ``(B, H, W, 3)`` on the
device -> Lab (float32, autocast off) -> normalised L in, normalised ab target -> MSE (float32)
-> Adam (lr 1e-3). Optional: ``torch.compile``, channels-last, bf16 autocast.

    python bench/reference_torch.py --check          # parameter counts + same function
    python bench/reference_torch.py --bench --models autoencoder --steps 5
    python bench/reference_torch.py --time zhang_full --mode channels_last --trials 3

``--time`` is the CPU benchmark's PyTorch side (``bench/train_speed.py`` runs it as a
subprocess, never in the same process as TensorFlow): JSON lines on stdout; with ``--serve``
it waits for ``run N`` commands (:mod:`workers`). Modes (``--mode``): ``eager`` (NCHW),
``channels_last``, ``compile`` and ``compile_channels_last`` (``torch.compile`` of forward +
loss; needs a C++ compiler on the CPU). Threads: ``torch.set_num_threads`` = the core count
unless ``--threads`` says otherwise.
"""

from __future__ import annotations

import argparse
import functools
import math
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))

TORCH_MISSING = (
    "PyTorch is not installed in this environment; the benchmark's reference needs it. "
    "Run `make bench`, which installs the bench layer, or install a CPU build yourself: "
    "pip install torch --index-url https://download.pytorch.org/whl/cpu"
)

if __name__ == "__main__":
    # Never TensorFlow and PyTorch in one process (TensorFlow 2.21 and a CUDA build of
    # PyTorch crash together): Keras (the layer plans of colorization.nets.models, and --check's
    # Keras networks) runs on its torch backend here unless KERAS_BACKEND names JAX.
    import workers

    if os.environ.get("KERAS_BACKEND", "tensorflow") == "tensorflow":
        os.environ["KERAS_BACKEND"] = "torch"
    sys.meta_path.insert(0, workers.RefuseTensorFlow())

import numpy as np  # noqa: E402

try:
    import torch  # noqa: E402
except ImportError as error:
    if __name__ == "__main__":
        if "--serve" in sys.argv:
            import workers

            workers.emit(event="error", message=TORCH_MISSING)
        sys.exit(TORCH_MISSING)
    raise ImportError(TORCH_MISSING) from error
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

MODEL_NAMES = ("zhang_full", "zhang_fruits", "zhang_animals", "autoencoder", "autoencoder_small")
STRIDE = 8
BN_MOMENTUM = 0.1  # PyTorch's convention: Keras momentum 0.9
BN_EPS = 1e-5


def _specs():
    """The layer plans, read from colorization.nets.models without importing Keras' model code
    when it is not installed (the specs are plain dicts at the top of the module)."""
    try:
        from colorization.nets import models

        return models.ZHANG_SPECS, models.AUTOENCODER_SPECS
    except ImportError:  # no keras: parse the two dicts out of the source
        import ast

        src = (Path(__file__).resolve().parents[1] / "lib/colorization/nets/models.py").read_text()
        found = {}
        for node in ast.parse(src).body:
            if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
                if node.targets[0].id in ("ZHANG_SPECS", "AUTOENCODER_SPECS"):
                    found[node.targets[0].id] = ast.literal_eval(node.value)
        return found["ZHANG_SPECS"], found["AUTOENCODER_SPECS"]


ZHANG_SPECS, AUTOENCODER_SPECS = _specs()


class Conv3x3(nn.Module):
    """3x3 conv + optional ReLU with Keras' ``same`` output size."""

    def __init__(self, cin, cout, stride=1, dilation=1, relu=True, tf_padding=False):
        super().__init__()
        self.asymmetric = tf_padding and stride == 2
        pad = 0 if self.asymmetric else dilation
        self.conv = nn.Conv2d(cin, cout, 3, stride=stride, padding=pad, dilation=dilation)
        self.relu = relu

    def forward(self, x):
        if self.asymmetric:  # TensorFlow 'SAME' on an even size: 0 before, 1 after
            x = F.pad(x, (0, 1, 0, 1))
        x = self.conv(x)
        return F.relu(x) if self.relu else x


def _pads(size):
    total = (STRIDE - size % STRIDE) % STRIDE
    return total // 2, total - total // 2


def pad_to_multiple(x):
    top, bottom = _pads(x.shape[-2])
    left, right = _pads(x.shape[-1])
    if top + bottom + left + right == 0:
        return x
    return F.pad(x, (left, right, top, bottom), mode="reflect")


def crop_to(x, height, width):
    top = (x.shape[-2] - height) // 2
    left = (x.shape[-1] - width) // 2
    return x[..., top : top + height, left : left + width]


class ZhangNet(nn.Module):
    """Zhang family (NCHW): normalised L (B, 1, H, W) -> sigmoid ab (B, 2, H, W), float32."""

    convention = "unit"

    def __init__(self, encoder, decoder, head_upsample, tf_padding=False):
        super().__init__()
        layers, cin = [], 1
        for block in encoder:
            filters = block["filters"]
            for j, cout in enumerate(filters):
                last = j == len(filters) - 1
                layers.append(Conv3x3(cin, cout, stride=block.get("stride", 1) if last else 1,
                                      dilation=block.get("dilation", 1), tf_padding=tf_padding))
                cin = cout
            layers.append(nn.BatchNorm2d(cin, eps=BN_EPS, momentum=BN_MOMENTUM))
        for block in decoder:
            for j, cout in enumerate(block["filters"]):
                if block.get("transpose") and j == 0:
                    layers += [nn.ConvTranspose2d(cin, cout, 4, stride=2, padding=1), nn.ReLU()]
                else:
                    layers.append(Conv3x3(cin, cout))
                cin = cout
            if block.get("batchnorm", True):
                layers.append(nn.BatchNorm2d(cin, eps=BN_EPS, momentum=BN_MOMENTUM))
            if block.get("upsample", 1) > 1:
                layers.append(nn.Upsample(scale_factor=block["upsample"], mode="bilinear",
                                          align_corners=False))
        layers.append(nn.Conv2d(cin, 2, 1))
        if head_upsample > 1:
            layers.append(nn.Upsample(scale_factor=head_upsample, mode="bilinear",
                                      align_corners=False))
        self.body = nn.Sequential(*layers)

    def forward(self, x):
        h, w = x.shape[-2:]
        y = crop_to(self.body(pad_to_multiple(x)), h, w)
        return torch.sigmoid(y.float())


class AutoencoderNet(nn.Module):
    """Autoencoders (NCHW): normalised L -> tanh ab, float32."""

    convention = "symmetric"

    def __init__(self, encoder, decoder, tf_padding=False):
        super().__init__()
        layers, cin = [], 1
        for spec in [*encoder, *decoder]:
            if spec == "up":
                layers.append(nn.Upsample(scale_factor=2, mode="nearest"))
                continue
            cout, stride = spec if isinstance(spec, (tuple, list)) else (spec, 1)
            layers.append(Conv3x3(cin, cout, stride=stride, tf_padding=tf_padding))
            cin = cout
        layers += [Conv3x3(cin, 2, relu=False), nn.Upsample(scale_factor=2, mode="nearest")]
        self.body = nn.Sequential(*layers)

    def forward(self, x):
        h, w = x.shape[-2:]
        y = crop_to(self.body(pad_to_multiple(x)), h, w)
        return torch.tanh(y.float())


def build(name: str, tf_padding: bool = False) -> nn.Module:
    if name in ZHANG_SPECS:
        return ZhangNet(**ZHANG_SPECS[name], tf_padding=tf_padding)
    if name in AUTOENCODER_SPECS:
        return AutoencoderNet(**AUTOENCODER_SPECS[name], tf_padding=tf_padding)
    raise ValueError(f"unknown model {name!r}; expected one of {MODEL_NAMES}")


def count_trainable(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


# --------------------------------------------------------------------------------------------
# Colour: the same maths as colorization.core.color (skimage constants), float32, on the device.

_XYZ_FROM_RGB = np.array([[0.412453, 0.357580, 0.180423],
                          [0.212671, 0.715160, 0.072169],
                          [0.019334, 0.119193, 0.950227]])
_WHITE = np.array([0.95047, 1.0, 1.08883])
_RGB_TO_XYZN = (_XYZ_FROM_RGB / _WHITE[:, None]).T.astype(np.float32)
_LAB_FROM_F = np.array([[0.0, 500.0, 0.0], [116.0, -500.0, 200.0], [0.0, 0.0, -200.0]],
                       dtype=np.float32)
# Linear RGB of the 256 levels of an 8-bit channel (colorization.core.color.LINEAR_OF_UINT8).
_LEVELS = np.arange(256, dtype=np.float64) / 255.0
_LINEAR_OF_UINT8 = np.where(_LEVELS <= 0.04045, _LEVELS / 12.92,
                            ((_LEVELS + 0.055) / 1.055) ** 2.4).astype(np.float32)


@functools.cache
def _linear_table(device: torch.device) -> torch.Tensor:
    return torch.from_numpy(_LINEAR_OF_UINT8).to(device)


def lab_targets(rgb_u8: torch.Tensor, convention: str):
    """uint8 RGB (B, H, W, 3) -> (normalised L (B, 1, H, W), normalised ab (B, 2, H, W)).

    Float32 whatever autocast says (matmuls written out as multiply-adds). As in
    colorization.core.color: each channel's linear value looked up in a 256-entry table, and f the
    smaller of the cube root and its tangent line at epsilon."""
    lin = _linear_table(rgb_u8.device)[rgb_u8.long()]
    m = _RGB_TO_XYZN
    r, g, b = lin[..., 0], lin[..., 1], lin[..., 2]
    xyz = [m[0, k] * r + m[1, k] * g + m[2, k] * b for k in range(3)]
    f = [torch.minimum(torch.exp(torch.log(torch.clamp(t, min=0.008856)) * (1.0 / 3.0)),
                       7.787 * t + 16.0 / 116.0) for t in xyz]
    lightness = 116.0 * f[1] - 16.0
    a = 500.0 * (f[0] - f[1])
    bb = 200.0 * (f[1] - f[2])
    ab = torch.stack([a, bb], dim=1) / 128.0
    if convention == "symmetric":
        return (lightness / 50.0 - 1.0).unsqueeze(1), ab
    return (lightness / 100.0).unsqueeze(1), (ab + 1.0) / 2.0


# --------------------------------------------------------------------------------------------
# Training step


class TorchTrainer:
    """The reference training step: uint8 batch on the device -> one Adam step on MSE.

    ``compile``: wrap forward + loss in ``torch.compile``; ``channels_last``: NHWC memory
    format for the network; ``bf16``: autocast to bfloat16 (the loss stays float32).
    """

    def __init__(self, name, device="cpu", *, compile=False, channels_last=False, bf16=False,
                 lr=1e-3, seed=0):
        torch.manual_seed(seed)
        self.device = torch.device(device)
        self.model = build(name).to(self.device)
        self.channels_last = channels_last
        if channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        self.convention = self.model.convention
        self.bf16 = bf16
        # Fused Adam (one kernel over all parameters) on CUDA and, where this torch has it,
        # on the CPU: the fastest form on both.
        try:
            self.optimizer = torch.optim.Adam(self.model.parameters(), lr=lr, eps=1e-7,
                                              fused=True)
        except (RuntimeError, ValueError):
            self.optimizer = torch.optim.Adam(self.model.parameters(), lr=lr, eps=1e-7)
        self._loss = torch.compile(self._loss_fn) if compile else self._loss_fn

    def _loss_fn(self, rgb_u8):
        lightness, target = lab_targets(rgb_u8, self.convention)
        if self.channels_last:
            lightness = lightness.contiguous(memory_format=torch.channels_last)
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.bf16):
            pred = self.model(lightness)
        return F.mse_loss(pred.float(), target)

    def step(self, rgb_u8):
        self.optimizer.zero_grad(set_to_none=True)
        loss = self._loss(rgb_u8)
        loss.backward()
        self.optimizer.step()
        return loss

    def sync(self):
        if self.device.type == "cuda":
            torch.cuda.synchronize()


def time_steps(trainer: TorchTrainer, images: torch.Tensor, batch_size: int, warmup: int,
               steps: int, seed: int = 0) -> dict:
    """Random batches indexed on the device from ``images`` (uint8, on the device).

    Returns ``{"images_per_s", "seconds", "warmup_s", "loss"}``."""
    gen = torch.Generator(device=images.device).manual_seed(seed)

    def batch():
        idx = torch.randint(0, images.shape[0], (batch_size,), device=images.device,
                            generator=gen)
        return images[idx]

    trainer.model.train()
    start = time.perf_counter()
    for _ in range(warmup):
        loss = trainer.step(batch())
    trainer.sync()
    warmup_s = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(steps):
        loss = trainer.step(batch())
    final = float(loss.detach())  # syncs
    trainer.sync()
    seconds = time.perf_counter() - start
    return {"images_per_s": steps * batch_size / seconds, "seconds": seconds,
            "warmup_s": warmup_s, "loss": final}


TIME_MODES = ("eager", "channels_last", "compile", "compile_channels_last")


def serve_timing(name: str, *, mode: str, image_size: int, batch_size: int, warmup: int,
                 images: int, threads: int | None, seed: int = 0, serve: bool = True,
                 trials: int = 3, steps: int = 3) -> None:
    """The PyTorch side of ``bench/train_speed.py`` on the CPU (protocol: :mod:`workers`).

    Builds the network in ``mode``, runs ``warmup`` steps, reports ``ready``, then times
    ``run N`` requests (or, without ``serve``, ``trials`` trials of ``steps`` steps)."""
    import workers

    if mode not in TIME_MODES:
        raise ValueError(f"unknown mode {mode!r}; expected one of {TIME_MODES}")
    torch.set_num_threads(threads or os.cpu_count() or 1)
    data = torch.from_numpy(workers.synthetic_images(images, image_size, seed))
    trainer = TorchTrainer(name, "cpu", compile=mode.startswith("compile"),
                           channels_last=mode.endswith("channels_last"), seed=seed)
    trainer.model.train()
    gen = torch.Generator().manual_seed(seed)

    def run(n):
        start = time.perf_counter()
        for _ in range(n):
            idx = torch.randint(0, data.shape[0], (batch_size,), generator=gen)
            loss = trainer.step(data[idx])
        value = float(loss.detach())
        return time.perf_counter() - start, value

    try:
        warmup_s, loss = run(max(1, warmup - 1))
        step_s, loss = run(1)
    except Exception as error:  # noqa: BLE001 - e.g. torch.compile without a C++ compiler
        workers.emit(event="error", message=f"torch {mode} failed: "
                     f"{type(error).__name__}: {str(error).strip().splitlines()[0][:300]}")
        return
    workers.emit(event="ready", framework="torch", model=name, mode=mode,
                 version=torch.__version__, threads=torch.get_num_threads(),
                 cpu_capability=torch.backends.cpu.get_cpu_capability(),
                 warmup_s=warmup_s + step_s, step_s=step_s, loss=loss)
    requests = workers.commands() if serve else [steps] * trials
    for n in requests:
        seconds, loss = run(n)
        workers.emit(event="trial", seconds=seconds, images=n * batch_size, steps=n, loss=loss)


def conv_macs(module: nn.Module, image_size: int) -> int:
    """Multiply-accumulates of every conv / transposed conv of one forward pass, one image."""
    total = 0

    def hook(layer, inputs, output):
        nonlocal total
        if isinstance(layer, nn.ConvTranspose2d):
            # every input pixel scatters a kh x kw x C_out patch
            total += inputs[0][0].numel() * layer.out_channels * math.prod(layer.kernel_size)
        else:
            total += output[0].numel() * (layer.in_channels // layer.groups) * math.prod(
                layer.kernel_size)

    handles = [m.register_forward_hook(hook) for m in module.modules()
               if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    was_training = module.training
    module.eval()
    with torch.no_grad():
        module(torch.zeros(1, 1, image_size, image_size))
    module.train(was_training)
    for h in handles:
        h.remove()
    return total


def train_flops_per_image(name: str, image_size: int) -> float:
    """Training FLOPs of one image: 3 x (forward conv FLOPs = 2 x MACs). The usual
    convention (forward, input gradient, weight gradient); norms and elementwise ops,
    Lab and Adam left out, so achieved TFLOP/s is a slight underestimate."""
    return 3.0 * 2.0 * conv_macs(build(name), image_size)


# --------------------------------------------------------------------------------------------
# --check: the same architecture as colorization.nets.models


def copy_keras_weights(keras_network, module: nn.Module) -> None:
    """Copy a Keras network's weights (conv, transposed conv, BatchNorm, in build order)
    into the ``tf_padding=True`` torch module."""
    import keras

    k_layers = [lay for lay in keras_network.layers
                if isinstance(lay, (keras.layers.Conv2D, keras.layers.Conv2DTranspose,
                                    keras.layers.BatchNormalization))]
    t_layers = [m for m in module.modules()
                if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.BatchNorm2d))]
    assert len(k_layers) == len(t_layers), (len(k_layers), len(t_layers))
    with torch.no_grad():
        for k, t in zip(k_layers, t_layers, strict=True):
            w = [np.asarray(v) for v in k.get_weights()]
            if isinstance(t, nn.BatchNorm2d):
                gamma, beta, mean, var = w
                t.weight.copy_(torch.from_numpy(gamma))
                t.bias.copy_(torch.from_numpy(beta))
                t.running_mean.copy_(torch.from_numpy(mean))
                t.running_var.copy_(torch.from_numpy(var))
            elif isinstance(t, nn.ConvTranspose2d):  # Keras (kh, kw, out, in) -> (in, out, kh, kw)
                t.weight.copy_(torch.from_numpy(w[0].transpose(3, 2, 0, 1).copy()))
                t.bias.copy_(torch.from_numpy(w[1]))
            else:  # Keras (kh, kw, in, out) -> (out, in, kh, kw)
                t.weight.copy_(torch.from_numpy(w[0].transpose(3, 2, 0, 1).copy()))
                t.bias.copy_(torch.from_numpy(w[1]))


def check(names, image_size: int = 100) -> bool:
    """Parameter counts equal, and with the Keras weights (random BN statistics too) copied
    in, the same outputs and the same Lab inputs/targets, in inference mode."""
    import keras

    from colorization.core import color
    from colorization.nets import models, registry

    rng = np.random.default_rng(0)
    ok = True
    print(f"{'model':18s} {'keras params':>13s} {'torch params':>13s}  {'max |diff|':>10s}")
    for name in names:
        net = registry.build_model(name, input_shape=(image_size, image_size, 1))
        for layer in net.layers:  # non-trivial BatchNorm statistics
            if isinstance(layer, keras.layers.BatchNormalization):
                g, b, m, v = layer.get_weights()
                layer.set_weights([rng.uniform(0.5, 1.5, g.shape).astype("float32"),
                                   rng.normal(0, 0.1, b.shape).astype("float32"),
                                   rng.normal(0, 0.1, m.shape).astype("float32"),
                                   rng.uniform(0.5, 1.5, v.shape).astype("float32")])
        ref = build(name, tf_padding=True)
        idiomatic = build(name)
        n_keras, n_torch = models.count_trainable(net), count_trainable(ref)
        assert count_trainable(idiomatic) == n_torch
        copy_keras_weights(net, ref)
        ref.eval()
        rgb = rng.integers(0, 256, (2, image_size, image_size, 3), dtype=np.uint8)
        conv = registry.convention(name)
        lightness_k = color.to_numpy(color.normalize_l(
            color.rgb_uint8_to_lab(rgb)[..., :1], conv))
        ab_k = color.to_numpy(color.normalize_ab(color.rgb_uint8_to_lab(rgb)[..., 1:], conv))
        lightness_t, ab_t = lab_targets(torch.from_numpy(rgb), conv)
        lab_diff = max(np.abs(lightness_t.numpy().transpose(0, 2, 3, 1) - lightness_k).max(),
                       np.abs(ab_t.numpy().transpose(0, 2, 3, 1) - ab_k).max())
        out_k = color.to_numpy(net(lightness_k, training=False))
        with torch.no_grad():
            out_t = ref(torch.from_numpy(lightness_k.transpose(0, 3, 1, 2).copy()))
        diff = float(np.abs(out_t.numpy().transpose(0, 2, 3, 1) - out_k).max())
        good = n_keras == n_torch and diff < 1e-4 and lab_diff < 1e-4
        ok &= good
        print(f"{name:18s} {n_keras:13,d} {n_torch:13,d}  {diff:10.2e}  "
              f"(Lab {lab_diff:.1e}) {'ok' if good else 'MISMATCH'}")
    return ok


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="compare with colorization.nets.models")
    p.add_argument("--bench", action="store_true", help="time the reference training step")
    p.add_argument("--models", default=",".join(MODEL_NAMES))
    p.add_argument("--image-size", type=int, default=100)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--compile", action="store_true")
    p.add_argument("--channels-last", action="store_true")
    p.add_argument("--bf16", action="store_true")
    p.add_argument("--time", metavar="MODEL", default=None,
                   help="time MODEL's training step on the CPU, JSON lines on stdout")
    p.add_argument("--mode", default="eager", choices=TIME_MODES, help="with --time")
    p.add_argument("--threads", type=int, default=None,
                   help="with --time: torch threads (default: the core count)")
    p.add_argument("--images", type=int, default=1024, help="with --time: uint8 images")
    p.add_argument("--trials", type=int, default=3, help="with --time, without --serve")
    p.add_argument("--serve", action="store_true",
                   help="with --time: wait for 'run N' lines on stdin (bench/workers.py)")
    args = p.parse_args(argv)
    if args.time:
        serve_timing(args.time, mode=args.mode, image_size=args.image_size,
                     batch_size=args.batch_size, warmup=args.warmup, images=args.images,
                     threads=args.threads, serve=args.serve, trials=args.trials,
                     steps=args.steps)
        return 0
    names = [n for n in args.models.split(",") if n]
    ok = True
    if args.check or not args.bench:
        ok = check(names, args.image_size)
    if args.bench:
        images = torch.randint(0, 256, (1024, args.image_size, args.image_size, 3),
                               dtype=torch.uint8, device=args.device)
        for name in names:
            trainer = TorchTrainer(name, args.device, compile=args.compile,
                                   channels_last=args.channels_last, bf16=args.bf16)
            r = time_steps(trainer, images, args.batch_size, args.warmup, args.steps)
            print(f"{name:18s} {r['images_per_s']:10,.1f} images/s  loss {r['loss']:.4f}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
