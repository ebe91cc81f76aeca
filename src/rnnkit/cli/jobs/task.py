"""``rnnkit task``: train a cell on a long-memory task for a fixed number of steps; score it.

Training: ``--steps`` updates of fresh sequences (stream "train"), arranged as epochs of
:func:`~rnnkit.training.tasks.steps_per_epoch` steps so that the history has one record per epoch;
after every epoch the loss on a fixed validation set (stream "val", 1024 sequences) is recorded and
the weights of the best epoch are kept. Then the held-out test set (stream "test", 4096 sequences)
is scored beside the trivial baseline. Writes metrics.json, learning_curve.png and checkpoints/ (for
``--resume``).
"""

import time
from dataclasses import replace

from rnnkit.cli.config import TaskJob
from rnnkit.cli.flags import job_record
from rnnkit.cli.jobs import EpochBar, JobResult, optional_outputs, start_runtime
from rnnkit.io.files import prepare_out, write_json_atomic
from rnnkit.io.plots import plot_loss
from rnnkit.nn.init import seeded
from rnnkit.training.loop import train
from rnnkit.training.tasks import (
    EVAL_BATCH_SIZE,
    TEST_SAMPLES,
    VAL_SAMPLES,
    TaskBatches,
    build_model,
    score_task,
    solved,
    steps_per_epoch,
)

NUM_SYMBOLS = 10  # the copy task's S (Arjovsky et al.)


def run(job: TaskJob) -> JobResult:
    """The job; under torchrun every rank trains on its share of each batch, rank 0 scores."""
    cell = "rnn" if job.model == "irnn" else job.model  # the IRNN is an Elman cell
    runtime = start_runtime(job.runtime, replace(job.network, cell=cell),
                            job.train.batch_size)
    per_epoch = steps_per_epoch(job.steps)
    cfg = replace(job.train, epochs=job.steps // per_epoch)
    data = {"length": job.length, "seed": cfg.seed, "num_symbols": NUM_SYMBOLS}
    train_batches = TaskBatches(job.task, batch_size=cfg.batch_size, num_batches=per_epoch,
                                **data)
    # the held-out sets depend on (task, length, seed) only, not on the training batch size
    val_batches, test_batches = (
        TaskBatches(job.task, batch_size=EVAL_BATCH_SIZE,
                    num_batches=samples // EVAL_BATCH_SIZE, stream=stream, **data)
        for stream, samples in (("val", VAL_SAMPLES), ("test", TEST_SAMPLES)))
    out = prepare_out(job.out)
    started = time.perf_counter()
    with seeded(cfg.seed):
        net = build_model(job.task, job.model, job.network, NUM_SYMBOLS).to(runtime.device)
    bar = EpochBar(cfg.epochs, job.progress and runtime.is_main)
    history = train(net, train_batches, cfg, val_batches=val_batches, on_epoch=bar.update,
                    checkpoint_dir=out / "checkpoints", resume=job.resume,
                    record=job_record(job))
    bar.close()
    if not runtime.is_main:
        return JobResult({}, [])
    metrics = score_task(net, job.task, test_batches)
    seconds = time.perf_counter() - started
    is_solved, criterion = solved(job.task, metrics)
    result = {"task": job.task, "model": job.model, "length": job.length, "steps": job.steps,
              "steps_per_epoch": per_epoch, "epochs": cfg.epochs,
              "num_parameters": sum(p.numel() for p in net.parameters()),
              "test_samples": test_batches.num_samples, **metrics, "solved": is_solved,
              "solved_criterion": criterion, "best_epoch": history.best_epoch,
              "seconds": seconds, "config": job_record(job), "runtime": runtime.record(),
              "history": history.records}
    if job.task == "adding":
        result["baseline"] = "always predict 1.0"
    write_json_atomic(out / "metrics.json", result)
    score = (f"test MSE {metrics['test_mse']:.4g} (baseline {metrics['baseline_mse']:.4g})"
             if job.task == "adding" else
             f"recall accuracy {metrics['test_accuracy']:.3f}, test loss "
             f"{metrics['test_loss']:.4g} (baseline {metrics['baseline_loss']:.4g})")
    lines = [f"{job.task} T={job.length}, {job.model}: {score}; solved: {is_solved} "
             f"({seconds:.0f} s)"]
    unit = "MSE" if job.task == "adding" else "cross-entropy (nats/symbol)"
    return optional_outputs(JobResult(result, lines, out, ["metrics.json"]), {
        "learning_curve.png": lambda: plot_loss(out / "learning_curve.png", [history], unit,
                                                f"{job.task}, T = {job.length}: {job.model}")})
