"""The paper's claims registry: every verdict rule both ways and its not-testable branch, on
hand-made metric dicts; the claim-backing metrics; equal budgets; the paper-profile guard."""

import json

import numpy as np
import pytest

from colorization import claims, experiments, metrics, paths
from colorization.claims import NOT_REPRODUCED, NOT_TESTABLE, REPRODUCED, Evidence

FRUIT_EXPS = ("zhang-full-fruits", "cnn-fruits-mse", "cnn-fruits-mse-flip", "cnn-fruits-smoothl1",
              "ae-fruits-mse", "ae-small-fruits-mse")
ANIMAL_EXPS = ("cnn-small-animals-mse", "cnn-animals-mse", "ae-animals-mse",
               "ae-animals-smoothl1")


def _m(ab_mae=4.0, gray=14.0, psnr=30.0, psnr_gray=20.0, chroma=0.95, **extra):
    return {"ab_mae": ab_mae, "ab_mae_gray": gray, "psnr": psnr, "psnr_gray": psnr_gray,
            "chroma_ratio": chroma, "delta_e": ab_mae * 1.4, "gray_stain": 0.01,
            "spread_ratio": 0.9, "green_share": 0.1, "green_share_true": 0.1, "mean_a": 1.0,
            **extra}


def _history(ips):
    return [{"epoch": e, "images_per_second": v} for e, v in enumerate(ips)]


def good_evidence(epochs=150) -> Evidence:
    """Numbers under which every claim of the paper holds."""
    ev = Evidence()
    for name in FRUIT_EXPS + ANIMAL_EXPS:
        ev.epochs[name] = 600 if name == "ae-small-fruits-mse" else epochs
        ev.dataset[name] = "fruits" if name in FRUIT_EXPS else "animals"
        ev.metrics[name] = _m()
        ev.photos[name] = _m(ab_mae=9.0, gray=14.0, chroma=0.5)
        ev.history[name] = _history([10, 100, 102, 98])
        ev.snapshots[name] = {1: _m(ab_mae=6.0), 3: _m(ab_mae=5.0), 10: _m(ab_mae=4.0),
                              150: _m(ab_mae=3.0)}
    ev.history["zhang-full-fruits"] = _history([1, 10, 11, 9])
    ev.metrics["cnn-fruits-mse-flip"] = _m(ab_mae=3.95)
    ev.metrics["cnn-fruits-smoothl1"] = _m(ab_mae=3.8, chroma=0.9)
    ev.metrics["cnn-fruits-smoothl1"]["gray_stain"] = 0.005
    ev.metrics["ae-small-fruits-mse"] = _m(ab_mae=13.9, chroma=0.1)
    ev.metrics["cnn-small-animals-mse"] = _m(ab_mae=13.0, chroma=0.3)
    cnn = {1: _m(ab_mae=14.0, spread_ratio=0.1), 30: _m(ab_mae=13.0),
           60: _m(ab_mae=10.0), 150: _m(ab_mae=8.0)}
    ev.snapshots["cnn-animals-mse"] = cnn
    ev.snapshots["ae-animals-mse"] = {1: _m(ab_mae=12.0), 150: _m(ab_mae=9.0)}
    for name, (mae, chroma, stain) in {"cnn-animals-mse": (8.0, 0.7, 0.01),
                                       "ae-animals-mse": (9.0, 0.6, 0.01),
                                       "ae-animals-smoothl1": (9.5, 0.75, 0.05)}.items():
        ev.metrics[name] = _m(ab_mae=mae, chroma=chroma, gray_stain=stain, green_share=0.4,
                              green_share_true=0.2, mean_a=-3.0)
    ev.photos["ae-animals-mse"] = _m(ab_mae=12.0, chroma=0.4)
    return ev


def _decide(ev, claim_id):
    return claims.verdict(claims.CLAIMS[claim_id], ev)


def test_registry_is_complete_and_well_formed():
    assert len(claims.CLAIMS) >= 17
    for c in claims.CLAIMS.values():
        assert c.says and c.where and c.rule and c.metric and c.experiments
        assert all(n in experiments.EXPERIMENTS for n in c.experiments), c.id
        assert c.early in (None, REPRODUCED, NOT_REPRODUCED)
        assert c.real in ("", "fruits", "animals")
    wanted = {"zhang-full-slow", "cnn-fruits-few-epochs", "losses-fruits-similar",
              "losses-fruits-mse-saturated", "losses-fruits-sl1-less-confusion",
              "cnn-fruits-photos-worse", "cnn-small-animals-fails", "cnn-animals-same-ab-first",
              "cnn-animals-learns-after-50", "cnn-animals-photos-worse",
              "ae-small-fruits-nothing", "ae-fruits-10-epochs", "ae-animals-sl1-stains",
              "ae-animals-sl1-less-desaturated", "ae-learns-faster",
              "cnn-less-desaturated-more-accurate", "ae-desaturates-unseen",
              "backgrounds-green", "no-desaturation-fruits", "augmentation-useless-fruits"}
    assert wanted <= set(claims.CLAIMS)


def test_every_claim_reproduced_on_numbers_that_show_it():
    ev = good_evidence()
    for cid in claims.CLAIMS:
        verdict, measured, reason = _decide(ev, cid)
        assert verdict == REPRODUCED, (cid, measured, reason)
        assert measured != "-" and reason == ""


# One change each that turns a claim around: (claim, change to the good evidence).
def _flip(ev, name, where="metrics", **values):
    getattr(ev, where)[name] = {**getattr(ev, where)[name], **values}


REFUTE = {
    "zhang-full-colours": lambda ev: _flip(ev, "zhang-full-fruits", ab_mae=9.0),
    "zhang-full-slow": lambda ev: ev.history.__setitem__("zhang-full-fruits",
                                                         _history([1, 90, 90])),
    "cnn-fruits-few-epochs": lambda ev: ev.snapshots["cnn-fruits-mse"].__setitem__(
        3, _m(ab_mae=12.0)),
    "fruits-easy": lambda ev: _flip(ev, "ae-fruits-mse", psnr=22.0),
    "no-desaturation-fruits": lambda ev: _flip(ev, "cnn-fruits-mse", chroma_ratio=0.6),
    "augmentation-useless-fruits": lambda ev: _flip(ev, "cnn-fruits-mse-flip", ab_mae=3.0),
    "losses-fruits-similar": lambda ev: _flip(ev, "cnn-fruits-smoothl1", ab_mae=6.0),
    "losses-fruits-mse-saturated": lambda ev: _flip(ev, "cnn-fruits-smoothl1",
                                                    chroma_ratio=0.99),
    "losses-fruits-sl1-less-confusion": lambda ev: _flip(ev, "cnn-fruits-smoothl1",
                                                         delta_e=9.0),
    "cnn-fruits-photos-worse": lambda ev: _flip(ev, "cnn-fruits-mse", "photos", ab_mae=2.0),
    "cnn-small-animals-fails": lambda ev: _flip(ev, "cnn-small-animals-mse", ab_mae=5.0,
                                                chroma_ratio=0.9),
    "cnn-animals-same-ab-first": lambda ev: ev.snapshots["cnn-animals-mse"][1].update(
        spread_ratio=0.8),
    "cnn-animals-learns-after-50": lambda ev: ev.snapshots["cnn-animals-mse"].__setitem__(
        1, _m(ab_mae=5.0, spread_ratio=0.1)),
    "cnn-animals-photos-worse": lambda ev: _flip(ev, "cnn-animals-mse", "photos", ab_mae=1.0),
    "ae-small-fruits-nothing": lambda ev: _flip(ev, "ae-small-fruits-mse", ab_mae=5.0,
                                                chroma_ratio=0.8),
    "ae-fruits-10-epochs": lambda ev: ev.snapshots["ae-fruits-mse"].__setitem__(
        10, _m(ab_mae=10.0)),
    "ae-fruits-photos-worse": lambda ev: _flip(ev, "ae-fruits-mse", "photos", ab_mae=1.0),
    "ae-animals-sl1-less-desaturated": lambda ev: _flip(ev, "ae-animals-smoothl1",
                                                        chroma_ratio=0.5),
    "ae-animals-sl1-stains": lambda ev: _flip(ev, "ae-animals-mse", gray_stain=0.05),
    "ae-learns-faster": lambda ev: ev.snapshots["ae-animals-mse"].__setitem__(
        1, _m(ab_mae=14.5)),
    "cnn-less-desaturated-more-accurate": lambda ev: _flip(ev, "cnn-animals-mse",
                                                           ab_mae=9.9),
    "ae-desaturates-unseen": lambda ev: _flip(ev, "ae-animals-mse", "photos",
                                              chroma_ratio=0.9),
    "backgrounds-green": lambda ev: _flip(ev, "ae-animals-mse", mean_a=2.0),
    "animals-meaningful": lambda ev: _flip(ev, "cnn-animals-mse", ab_mae=13.0),
}


def test_every_claim_can_fail():
    assert set(REFUTE) == set(claims.CLAIMS)
    for cid, change in REFUTE.items():
        ev = good_evidence()
        change(ev)
        verdict, measured, _ = _decide(ev, cid)
        assert verdict == NOT_REPRODUCED, (cid, measured)


def test_not_testable_branches():
    ev = good_evidence()
    del ev.epochs["cnn-fruits-mse-flip"]
    verdict, _, reason = _decide(ev, "augmentation-useless-fruits")
    assert verdict == NOT_TESTABLE and "cnn-fruits-mse-flip has not been run" in reason

    ev = good_evidence()  # generated animals: the claim is about real photos
    ev.dataset["cnn-small-animals-mse"] = "synthetic-animals"
    verdict, _, reason = _decide(ev, "cnn-small-animals-fails")
    assert verdict == NOT_TESTABLE and "synthetic-animals" in reason and "make data" in reason

    ev = good_evidence()  # the shipped real fruit sample counts as real fruit photos
    for name in FRUIT_EXPS:
        ev.dataset[name] = "fruits360-sample"
    assert _decide(ev, "fruits-easy")[0] == REPRODUCED

    ev = good_evidence()  # a metric a rule needs is missing (an old cached evaluation)
    del ev.metrics["ae-animals-mse"]["gray_stain"]
    verdict, _, reason = _decide(ev, "ae-animals-sl1-stains")
    assert verdict == NOT_TESTABLE and "gray_stain" in reason


def test_scale_rules_settle_early_in_one_direction_only():
    # "colours nothing after 600 epochs": colouring after 8 already refutes it ...
    ev = good_evidence()
    ev.epochs["ae-small-fruits-mse"] = 8
    REFUTE["ae-small-fruits-nothing"](ev)
    assert _decide(ev, "ae-small-fruits-nothing")[0] == NOT_REPRODUCED
    # ... failing after 8 does not show it
    ev = good_evidence()
    ev.epochs["ae-small-fruits-mse"] = 8
    verdict, _, reason = _decide(ev, "ae-small-fruits-nothing")
    assert verdict == NOT_TESTABLE and ">= 600 epochs" in reason
    # "colours well after 10 epochs": reached by epoch 3 of a 4-epoch run reproduces it ...
    ev = good_evidence(epochs=4)
    ev.snapshots["ae-fruits-mse"] = {1: _m(ab_mae=8.0), 3: _m(ab_mae=4.0)}
    assert _decide(ev, "ae-fruits-10-epochs")[0] == REPRODUCED
    # ... not reached in 4 epochs says nothing
    ev.snapshots["ae-fruits-mse"] = {1: _m(ab_mae=12.0), 4: _m(ab_mae=10.0)}
    assert _decide(ev, "ae-fruits-10-epochs")[0] == NOT_TESTABLE
    # "starts producing results after 50-60 epochs" needs 60 epochs either way
    ev = good_evidence(epochs=6)
    assert _decide(ev, "cnn-animals-learns-after-50")[0] == NOT_TESTABLE


def test_table_render_and_write(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "reports_dir", lambda: tmp_path / "reports")
    ev = good_evidence()
    REFUTE["backgrounds-green"](ev)
    rows = claims.table("quick", evidence=ev)
    assert len(rows) == len(claims.CLAIMS)
    one = claims.table("quick", "04-cnn-fruits-losses", evidence=ev)
    assert {r["id"] for r in one} == {"losses-fruits-similar", "losses-fruits-mse-saturated",
                                      "losses-fruits-sl1-less-confusion"}
    text = claims.format_text(rows)
    assert "[not reproduced] backgrounds-green" in text and "paper says:" in text
    md = claims.format_markdown(rows)
    assert md.count("\n") == len(rows) + 1 and "| backgrounds-green |" in md
    page = claims.format_html(rows)
    assert page.count("<tr>") == len(rows) + 1 and "&quot;realistic&quot;" in page
    claims.write(one)
    claims.write(rows[:2])
    stored = json.loads((tmp_path / "reports" / "results.json").read_text())["claims"]
    assert [r["id"] for r in stored] == [r["id"] for r in rows[:2]] + [r["id"] for r in one]

    from colorization import report  # the report shows the claims beside the metrics

    monkeypatch.setattr(report.paths, "reports_dir", lambda: tmp_path / "reports")
    monkeypatch.setattr(report.paths, "figures_dir", lambda: tmp_path / "reports" / "figures")
    report.record("cnn-fruits-mse", {"psnr": 30.0, "ab_mae": 4.0}, model="zhang_fruits")
    page = report.write_index().read_text()
    assert "The paper's claims" in page and "losses-fruits-similar" in page
    assert "<th>cnn-fruits-mse</th>" in page and "<th>claims</th>" not in page


def test_claim_metrics():
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (6, 16, 16, 3), dtype=np.uint8)
    lab = metrics.color.to_numpy(metrics.color.rgb_uint8_to_lab(rgb))
    ab_true = lab[..., 1:]
    same = np.broadcast_to(ab_true.mean(axis=(0, 1, 2)), ab_true.shape)
    m = metrics.claim_metrics(rgb, same)
    assert m["spread_ratio"] < 1e-6  # the same ab for every image
    assert metrics.claim_metrics(rgb, ab_true)["spread_ratio"] == pytest.approx(1, rel=1e-4)
    # stains: coloured truth, a prediction coloured except one grey patch
    truth = np.zeros((1, 10, 10, 2))
    truth[..., 0] = 40.0
    pred = truth.copy()
    pred[0, :5, :2] = 0.0  # 10 of 100 coloured pixels left grey
    assert metrics.gray_stain_share(pred, truth) == pytest.approx(0.1)
    assert metrics.gray_stain_share(pred * 0.05, truth) == pytest.approx(0.1)
    flat = np.full_like(truth, 2.0)  # uniformly desaturated: no stains
    assert metrics.gray_stain_share(flat, truth) == 0.0
    assert np.isnan(metrics.gray_stain_share(truth * 0, truth * 0))
    green = np.zeros((1, 4, 4, 2))
    green[0, :2, :, 0] = -20.0
    assert metrics.green_share(green) == pytest.approx(0.5)
    assert {"spread_ratio", "gray_stain", "green_share", "mean_a"} <= set(
        metrics.evaluate_with_baseline(rgb, ab_true))


def test_compared_experiments_get_equal_budgets():
    for group in experiments.COMPARED:
        for profile in experiments.PROFILES:
            budgets = {(experiments.config(n, profile).epochs,
                        experiments.config(n, profile).max_images,
                        experiments.config(n, profile).image_size) for n in group}
            assert len(budgets) == 1, (group, profile, budgets)


def test_paper_profile_stops_without_kaggle_data(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("COLORIZATION_DATA", "embedded")
    monkeypatch.setenv("COLORIZATION_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.delenv(experiments.ALLOW_EMBEDDED_ENV, raising=False)
    trained = []
    monkeypatch.setattr(experiments, "train", lambda *a, **k: trained.append(a))
    with pytest.raises(experiments.MissingPaperDataError) as err:
        experiments.run("cnn-fruits-mse", "paper")
    text = str(err.value)
    assert "make data" in text and "kaggle.json" in text and "fruits360-sample" in text
    assert experiments.ALLOW_EMBEDDED_ENV in text and not trained
    experiments.check_paper_data("quick")  # other profiles: no check
    monkeypatch.setenv(experiments.ALLOW_EMBEDDED_ENV, "1")
    experiments.run("cnn-fruits-mse", "paper")
    assert len(trained) == 1

    from colorization import reproduce

    monkeypatch.delenv(experiments.ALLOW_EMBEDDED_ENV)
    monkeypatch.setattr(reproduce, "_stream_notebook_output", lambda: None)
    monkeypatch.setitem(__import__("sys").modules, "papermill", object())
    assert reproduce.run("paper") == 2
    assert "make data" in capsys.readouterr().err


def _fake_run(folder, data, epochs, ratio=None, dataset=None, state="finished"):
    from colorization.runs import RunConfig

    folder.mkdir(parents=True)
    cfg = RunConfig(model="zhang_fruits", data=data, epochs=epochs)
    (folder / "config.json").write_text(json.dumps(cfg.to_dict()))
    (folder / "status.json").write_text(json.dumps({"state": state,
                                                    "dataset": dataset or data}))
    (folder / "model.keras").write_bytes(b"")
    if ratio is not None:
        (folder / "metrics").mkdir()
        (folder / "metrics" / "fruits-test-200.json").write_text(json.dumps(
            {"split": "test", "ab_mae": 10 * ratio, "ab_mae_gray": 10.0}))


def test_best_run_picks_the_best_finished_run_of_the_kind(tmp_path, monkeypatch, capsys):
    root = tmp_path / "runs"
    monkeypatch.setenv("COLORIZATION_RUNS_DIR", str(root))
    assert experiments.best_run("fruits") is None
    assert "make reproduce" in experiments.no_run_message("fruits")
    _fake_run(root / "smoke" / "cnn-fruits-mse", "fruits", 2, dataset="fruits360-sample")
    assert experiments.best_run("fruits")[0] == root / "smoke" / "cnn-fruits-mse"
    _fake_run(root / "quick" / "cnn-fruits-mse", "fruits", 8, ratio=0.3)
    _fake_run(root / "quick" / "ae-fruits-mse", "fruits", 8, ratio=0.25)
    _fake_run(root / "quick" / "ae-broken", "fruits", 8, ratio=0.01, state="incomplete")
    _fake_run(root / "quick" / "cnn-animals-mse", "animals", 8, ratio=0.1)
    path, why = experiments.best_run("fruits")
    assert path == root / "quick" / "ae-fruits-mse"
    assert "0.25x" in why and "3 finished fruits runs" in why
    assert experiments.best_run("animals")[0] == root / "quick" / "cnn-animals-mse"
    with pytest.raises(ValueError):
        experiments.best_run("cars")

    from colorization import cli

    empty = tmp_path / "none"
    monkeypatch.setenv("COLORIZATION_RUNS_DIR", str(empty))
    code = cli.main(["colorize", "photo.jpg", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code != 0 and "no finished fruits run" in err and "make reproduce" in err
