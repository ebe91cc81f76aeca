"""The ``rnnkit`` command: one subcommand per job, flags made from the job dataclasses.

Only this module prints, reads ``sys.argv`` or sets the exit code. It imports no torch at module
level, so ``rnnkit --help`` answers at once; each command imports what it needs when it runs.
User errors (``InputError``) print one line, ``rnnkit: error: ...``, and return 2.
"""

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from rnnkit import __version__
from rnnkit._checks import InputError, TrainingDiverged
from rnnkit.config import (
    DiagnoseJob,
    EsnJob,
    ForecastJob,
    LayersJob,
    PredictJob,
    TaskJob,
    TextGenerateJob,
    TextTrainJob,
    add_job_arguments,
    job_from_args,
    job_record,
)


def _split_names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())


def _read_data(name: str, date_column: str, columns: list[str]):
    """The bundled AAPL table or a user's file, cleaned; returns (frame, description)."""
    from rnnkit.io import AAPL_PROVENANCE, load_aapl, read_series

    if name == "aapl":
        frame = load_aapl()
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise InputError(f"--data aapl: no column {missing[0]!r}; columns: "
                             f"{list(frame.columns)}")
        return frame[columns], {"source": "aapl", "provenance": AAPL_PROVENANCE}
    frame, report = read_series(name, date_column or None, columns)
    return frame, {"source": name, "cleaning": report.to_dict()}


def _prepare_out(path: str) -> Path:
    """Create the output folder now, so an unwritable one fails before any training."""
    out = Path(path)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".rnnkit-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as err:
        raise InputError(f"--out: cannot write to {out}: {err.strerror}") from None
    return out


def run_forecast(job: ForecastJob) -> int:
    import torch

    from rnnkit.forecast import Forecaster, evaluate, walk_forward
    from rnnkit.io import write_json_atomic, write_text_atomic
    from rnnkit.plots import plot_forecast, plot_loss

    covariates = _split_names(job.covariates)
    frame, data_record = _read_data(job.data, job.date_column, [job.target, *covariates])
    out = _prepare_out(job.out)
    torch.manual_seed(job.train.seed)
    forecaster = Forecaster(
        model=job.model, hidden_size=job.hidden_size, num_layers=job.num_layers,
        dropout=job.dropout, bidirectional=job.bidirectional, lookback=job.lookback,
        horizon=job.horizon, target=job.target, covariates=covariates,
        features=_split_names(job.features), target_kind=job.target_kind, scaler=job.scaler,
        val_fraction=job.val_fraction, ensemble=job.ensemble, loss=job.loss, train=job.train,
        reservoir=job.reservoir)
    bar = _progress_bar(job.train.epochs * job.ensemble, job.progress)
    result = evaluate(forecaster, frame, job.test_fraction, checkpoint_dir=out / "checkpoints",
                      resume=job.resume, on_epoch=bar.update_epoch)
    bar.close()
    future = forecaster.predict(frame, job.future)
    metrics = result.metrics | {"data": data_record | {
        "rows": len(frame), "first": str(frame.index[0].date()), "last":
        str(frame.index[-1].date()), "test_rows": len(result.predictions)},
        "config": job_record(job)}
    if job.folds:
        metrics["walk_forward"] = walk_forward(forecaster, frame, job.folds, job.test_fraction)
    metrics["training"] = [{"epochs": len(h.records), "best_epoch": h.best_epoch,
                            "stopped_early": h.stopped_early} for h in forecaster.history_]
    train_rows = frame[job.target][frame.index < result.predictions["date"].iloc[0]]
    plot_forecast(out / "forecast.png", train_rows, result.predictions, future, job.target,
                  f"{job.target}: {job.model.upper()} vs naive on the test part")
    plot_loss(out / "loss.png", [h.records for h in forecaster.history_])
    forecaster.save(out / "model")
    write_text_atomic(out / "predictions.csv", result.predictions.to_csv(index=False))
    write_text_atomic(out / "future.csv", future.to_csv())
    write_json_atomic(out / "metrics.json", metrics)
    model, naive = metrics["model"], metrics["naive"]
    print(f"test part: {len(result.predictions)} forecasts, {job.target} in its own units")
    print(f"{'':8}{'MAE':>10}{'RMSE':>10}{'MAPE %':>9}{'MASE':>8}{'dir. acc':>10}")
    for who in ("model", "naive", "drift"):
        m = metrics[who]
        print(f"{who:<8}{m['mae']:>10.4f}{m['rmse']:>10.4f}{m['mape']:>9.3f}{m['mase']:>8.3f}"
              f"{m['directional_accuracy']:>10.3f}")
    verdict = "beats" if model["mse"] < naive["mse"] else "loses to"
    print(f"skill vs naive (1 - MSE/MSE_naive): {metrics['skill']:+.4f}: the model {verdict} "
          f"the naive forecast")
    print(f"wrote {out}/metrics.json, predictions.csv, future.csv, forecast.png, loss.png, model/")
    return 0


def run_predict(job: PredictJob) -> int:
    from rnnkit.forecast import Forecaster
    from rnnkit.io import write_text_atomic

    forecaster = Forecaster.load(job.model)
    columns = [forecaster.target, *forecaster.covariates]
    frame, _ = _read_data(job.data, job.date_column, columns)
    future = forecaster.predict(frame, job.steps or None)
    if job.out:
        write_text_atomic(job.out, future.to_csv())
    else:
        print(future.to_csv(), end="")
    return 0


def run_diagnose(job: DiagnoseJob) -> int:
    from rnnkit.diagnostics import run_diagnosis
    from rnnkit.io import write_json_atomic
    from rnnkit.plots import plot_gradient_flow

    out = _prepare_out(job.out)
    settings = {"hidden_size": job.hidden_size, "batch_size": job.batch_size,
                "init": job.init, "recurrent_init": job.recurrent_init or None,
                "spectral_radius": job.spectral_radius or None, "seed": job.seed}
    cell_settings = {"rnn": {"nonlinearity": job.nonlinearity},
                     "lstm": {"forget_bias": job.forget_bias}, "gru": {}}
    report = run_diagnosis(job.model, job.length, **settings, **cell_settings[job.model])
    # the same set-up for the other cells, and the LSTM with its forget gate half shut
    curves = {}
    for cell, label in (("rnn", f"rnn ({job.nonlinearity})"),
                        ("lstm", f"lstm (forget bias {job.forget_bias:g})"), ("gru", "gru")):
        curves[label] = (report if cell == job.model else run_diagnosis(
            cell, job.length, **settings, **cell_settings[cell]))["grad_norm"]
    contrast = 0.0 if job.forget_bias != 0 else 1.0
    curves[f"lstm (forget bias {contrast:g})"] = run_diagnosis(
        "lstm", job.length, **settings, forget_bias=contrast)["grad_norm"]
    report["comparison"] = curves
    write_json_atomic(out / "gradients.json", report)
    plot_gradient_flow(out / "gradients.png", curves,
                       f"‖∂L/∂h_t‖, loss at t = {job.length - 1}, hidden {job.hidden_size}")
    g = report["grad_norm"]
    print(f"{job.model}: spectral radius of W_hh {report['spectral_radius']:.4f}, largest "
          f"singular value {report['largest_singular_value']:.4f}")
    for lag in sorted({0, 10, 50, 100, job.length - 1} & set(range(job.length))):
        print(f"  lag {lag:>5}: ‖∂L/∂h_t‖ = {g[job.length - 1 - lag]:.3e}")
    print(f"wrote {out}/gradients.json, gradients.png")
    return 0


def run_task(job: TaskJob) -> int:
    from rnnkit.io import write_json_atomic
    from rnnkit.plots import plot_loss
    from rnnkit.tasks import run_task as train_on_task
    from rnnkit.tasks import steps_per_epoch

    out = _prepare_out(job.out)
    bar = _progress_bar(job.steps // steps_per_epoch(job.steps), job.progress)
    result = train_on_task(job.task, job.model, job.length, steps=job.steps,
                           hidden_size=job.hidden_size, learning_rate=job.learning_rate,
                           batch_size=job.batch_size, grad_clip=job.grad_clip, seed=job.seed,
                           on_epoch=bar.update_epoch)
    bar.close()
    result["config"] = job_record(job)
    if job.task == "adding":
        result["baseline"] = "always predict 1.0"
    plot_loss(out / "learning_curve.png", [result["history"]],
              f"{job.task}, T = {job.length}: {job.model}")
    write_json_atomic(out / "metrics.json", result)
    score = (f"test MSE {result['test_mse']:.4g} (baseline {result['baseline_mse']:.4g})"
             if job.task == "adding" else
             f"recall accuracy {result['test_accuracy']:.3f}, test loss "
             f"{result['test_loss']:.4g} (baseline {result['baseline_loss']:.4g})")
    print(f"{job.task} T={job.length}, {job.model}: {score}; solved: {result['solved']} "
          f"({result['seconds']:.0f} s)")
    print(f"wrote {out}/metrics.json, learning_curve.png")
    return 0


def run_esn(job: EsnJob) -> int:
    import math
    from dataclasses import asdict

    from rnnkit.esn import ESN, random_search, score_series, standardize
    from rnnkit.io import write_json_atomic, write_text_atomic
    from rnnkit.plots import plot_predictions, plot_search

    if job.data == "mackey-glass":
        from rnnkit.chaos import mackey_glass

        series = mackey_glass(job.length, discard=500)
        data_record = {"source": "mackey-glass", "tau": 17, "values": job.length}
    else:
        frame, data_record = _read_data(job.data, job.date_column, [job.target])
        series = frame[job.target].to_numpy(float)
    out = _prepare_out(job.out)
    train_end = math.ceil(len(series) * (1 - job.test_fraction))
    if not 1 < train_end < len(series):
        raise InputError(f"--test-fraction {job.test_fraction} leaves no training or no "
                         f"held-out values of the {len(series)}")
    params = asdict(job.reservoir) | {"readout": job.readout, "seed": job.seed,
                                      "feedback_scaling": job.feedback_scaling}
    written = ["metrics.json", "predictions.csv", "prediction.png", "model/"]
    if job.search:
        from tqdm import tqdm

        z = standardize(series, train_end)[0][:train_end]
        bar = tqdm(total=job.search, unit="trial", disable=not job.progress, file=sys.stderr)
        table = random_search(z[:-1], z[1:], int(0.8 * (train_end - 1)), job.search,
                              search_seed=job.seed, on_trial=lambda row: bar.update(1),
                              **params)
        bar.close()
        best = table.iloc[0]
        params |= {name: float(best[name]) for name in table.columns
                   if name not in ("trial", "nrmse")}
        write_text_atomic(out / "search.csv", table.to_csv(index=False))
        plot_search(out / "search.png", table, title=f"random search, {job.search} trials: "
                    "validation one-step NRMSE")
        written += ["search.csv", "search.png"]
    horizons = tuple(int(h) for h in job.horizons.split(","))
    esn = ESN(**params)
    metrics, predictions = score_series(esn, series, train_end, horizons)
    metrics |= {"params": esn.get_params(), "data": data_record, "config": job_record(job)}
    steps = predictions["closed_loop"].notna().sum()
    plot_predictions(out / "prediction.png", [
        (f"one step ahead, held out: NRMSE {metrics['nrmse']:.2e}", predictions["actual"],
         predictions["one_step"]),
        (f"closed loop, {steps} steps: {metrics['valid_steps']} within 10% of the range",
         predictions["actual"][:steps], predictions["closed_loop"][:steps])],
        start=train_end)
    esn.save(out / "model")
    write_text_atomic(out / "predictions.csv", predictions.to_csv(index=False))
    write_json_atomic(out / "metrics.json", metrics)
    print(f"one step, {metrics['test_values']} held-out values: NRMSE {metrics['nrmse']:.3e} "
          f"(naive x[t+1] = x[t]: {metrics['naive_nrmse']:.3e})")
    for h, score in metrics["closed_loop"].items():
        print(f"closed loop, {h:>4} steps: NRMSE {score:.3e} (naive constant: "
              f"{metrics['naive_closed_loop'][h]:.3e})")
    print(f"closed loop stays within 10% of the range for {metrics['valid_steps']} steps; "
          f"NRMSE <= 1e-2 up to {metrics['horizon_at_1e-2']} steps")
    print(f"wrote {out}/{', '.join(written)}")
    return 0


def _read_corpus(name: str) -> str:
    """The bundled Tiny Shakespeare or a UTF-8 text file; binary or empty files are refused."""
    from importlib import resources

    if name == "shakespeare":
        return (resources.files("rnnkit.datasets") / "tinyshakespeare.txt").read_text("utf-8")
    try:
        data = Path(name).read_bytes()
    except OSError as err:
        raise InputError(f"--corpus: cannot read {name}: {err.strerror}") from None
    if b"\x00" in data:
        raise InputError(f"--corpus: {name} looks binary (it has NUL bytes), not text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(f"--corpus: {name} is not UTF-8 text (byte {err.start})") from None
    if not text:
        raise InputError(f"--corpus: {name} is empty")
    return text


def run_text_train(job: TextTrainJob) -> int:
    import math

    import torch

    from rnnkit.io import save_safetensors_atomic, write_json_atomic, write_text_atomic
    from rnnkit.plots import plot_loss
    from rnnkit.text import CharLM, CharVocab, generate
    from rnnkit.train import StreamBatches, evaluate, train

    text = _read_corpus(job.corpus)
    vocab = CharVocab.from_text(text)  # over the whole corpus: characters, not statistics
    ids = vocab.encode(text)
    cut = len(ids) - int(len(ids) * job.val_fraction)
    cfg = job.train
    if cut - 1 < cfg.batch_size * job.seq_len or len(ids) - cut - 1 < job.seq_len:
        raise InputError(f"--corpus: {len(ids)} characters are too few for batch_size "
                         f"{cfg.batch_size} x seq_len {job.seq_len} and a validation part")
    out = _prepare_out(job.out)
    train_batches = StreamBatches(ids[: cut - 1], ids[1:cut], cfg.batch_size, job.seq_len)
    val_streams = max(1, min(cfg.batch_size, (len(ids) - cut - 1) // job.seq_len))
    val_batches = StreamBatches(ids[cut:-1], ids[cut + 1 :], val_streams, job.seq_len)
    torch.manual_seed(cfg.seed)
    model = CharLM(len(vocab), job.hidden_size, job.num_layers, job.model, job.dropout)
    steps = cfg.steps or cfg.epochs * len(train_batches)
    bar = _progress_bar(math.ceil(steps / len(train_batches)), job.progress, job.seq_len)
    history = train(model, train_batches, cfg, val_batches=val_batches,
                    checkpoint_dir=out / "checkpoints", resume=job.resume,
                    on_epoch=bar.update_epoch, record=job_record(job))
    bar.close()
    val_loss = evaluate(model, val_batches)
    seconds = sum(r["seconds"] for r in history.records)
    tokens = len(history.steps) * cfg.batch_size * job.seq_len
    metrics = {"train_loss": history.records[-1]["train_loss"], "val_loss": val_loss,
               "val_bpc": val_loss / math.log(2), "tokens_per_s": tokens / seconds,
               "steps": len(history.steps), "seconds": seconds, "vocab_size": len(vocab),
               "characters": len(ids), "config": job_record(job)}
    config = {"vocab": vocab.chars, "model": job.model, "num_layers": job.num_layers,
              "hidden_size": job.hidden_size, "dropout": job.dropout}
    save_safetensors_atomic(out / "model" / "weights.safetensors",
                            {k: v.contiguous() for k, v in model.state_dict().items()},
                            {"kind": "CharLM"})
    write_json_atomic(out / "model" / "config.json", config)
    sample = generate(model, vocab, job.prompt, job.sample_length,
                      temperature=job.temperature, seed=cfg.seed)
    write_text_atomic(out / "samples.txt", job.prompt + sample + "\n")
    plot_loss(out / "loss.png", [history.records], "cross-entropy (nats/char)")
    write_json_atomic(out / "metrics.json", metrics)
    print(f"train {metrics['train_loss']:.4f} nats/char, validation {val_loss:.4f} nats/char "
          f"({metrics['val_bpc']:.3f} bits/char), {metrics['tokens_per_s']:.0f} tokens/s")
    print(f"wrote {out}/metrics.json, samples.txt, loss.png, model/")
    return 0


def _load_char_model(path: str):
    import json

    from rnnkit.io import load_safetensors
    from rnnkit.text import CharLM, CharVocab

    folder = Path(path)
    try:
        config = json.loads((folder / "config.json").read_text())
    except FileNotFoundError:
        raise InputError(f"--model: no text model in {folder} (config.json missing)") from None
    vocab = CharVocab(config["vocab"])
    model = CharLM(len(vocab), config["hidden_size"], config["num_layers"], config["model"],
                   config["dropout"])
    tensors, _ = load_safetensors(folder / "weights.safetensors")
    model.load_state_dict(tensors)
    return model.eval(), vocab


def run_text_generate(job: TextGenerateJob) -> int:
    from rnnkit.text import generate

    model, vocab = _load_char_model(job.model)
    print(job.prompt, end="", flush=True)
    generate(model, vocab, job.prompt, job.length, temperature=job.temperature,
             top_k=job.top_k, seed=job.seed, on_text=lambda c: print(c, end="", flush=True))
    print()
    return 0


class _progress_bar:
    """A tqdm bar over epochs: loss, validation loss and throughput (samples/s or tokens/s)."""

    def __init__(self, total: int, enabled: bool, tokens_per_sample: int = 0) -> None:
        from tqdm import tqdm

        self.bar = tqdm(total=total, unit="epoch", disable=not enabled, file=sys.stderr,
                        dynamic_ncols=True)
        self.tokens_per_sample = tokens_per_sample

    def update_epoch(self, record: dict) -> None:
        val = record["val_loss"]
        rate = record["samples_per_s"]
        speed = ({"tokens_s": f"{rate * self.tokens_per_sample:.0f}"} if self.tokens_per_sample
                 else {"samples_s": f"{rate:.0f}"})
        self.bar.set_postfix(loss=f"{record['train_loss']:.4g}",
                             val=("-" if val is None else f"{val:.4g}"), **speed)
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


def run_layers(job: LayersJob) -> int:
    import torch

    from rnnkit.verify import compare_layers

    torch.set_num_threads(min(2, torch.get_num_threads()))
    shape = (f"batch {job.batch_size}, seq {job.seq_len}, input {job.input_size}, "
             f"hidden {job.hidden_size}, {torch.get_num_threads()} threads, "
             f"median of {job.repeats}")
    print(f"rnnkit.nn vs torch.nn, forward+backward, float32 ({shape})")
    print(f"{'layer':<6} {'path':<20} {'rel. diff':>11} {'seq/s':>9} {'torch seq/s':>12} "
          f"{'ratio':>6}")
    rows = compare_layers(job.batch_size, job.seq_len, job.input_size, job.hidden_size,
                          job.repeats, job.seed)
    for r in rows:
        print(f"{r['layer']:<6} {r['path']:<20} {r['max_rel_diff']:>11.2e} {r['seq_per_s']:>9.0f} "
              f"{r['torch_seq_per_s']:>12.0f} {r['ratio']:>6.2f}")
    return 0


COMMANDS: dict[str, tuple[type, Callable[..., int]] | dict] = {
    "forecast": (ForecastJob, run_forecast),
    "predict": (PredictJob, run_predict),
    "text": {"train": (TextTrainJob, run_text_train),
             "generate": (TextGenerateJob, run_text_generate)},
    "diagnose": (DiagnoseJob, run_diagnose),
    "task": (TaskJob, run_task),
    "layers": (LayersJob, run_layers),
    "esn": (EsnJob, run_esn),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rnnkit", description="Recurrent neural networks: cells, training and jobs.")
    parser.add_argument("--version", action="version", version=f"rnnkit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, entry in COMMANDS.items():
        if isinstance(entry, dict):  # a group: `rnnkit text train`, `rnnkit text generate`
            group = sub.add_parser(name, help=f"{name} commands: {', '.join(entry)}")
            inner = group.add_subparsers(dest="subcommand", metavar="SUBCOMMAND", required=True)
            for inner_name, (job_cls, _) in entry.items():
                _add_command(inner, inner_name, job_cls)
        else:
            _add_command(sub, name, entry[0])
    return parser


def _add_command(sub, name: str, job_cls: type) -> None:
    summary = job_cls.__doc__.strip().splitlines()[0]
    add_job_arguments(sub.add_parser(name, help=summary, description=summary), job_cls)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    entry = COMMANDS[args.command]
    job_cls, run = entry[args.subcommand] if isinstance(entry, dict) else entry
    try:
        return run(job_from_args(job_cls, args))
    except (InputError, TrainingDiverged) as err:
        print(f"rnnkit: error: {err}", file=sys.stderr)
        return 2
