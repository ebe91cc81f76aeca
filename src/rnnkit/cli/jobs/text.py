"""``rnnkit text train`` and ``rnnkit text generate``: a character-level language model.

``train`` writes into ``job.out``: metrics.json, samples.txt, loss.png, model/ and
checkpoints/ (for ``--resume``). ``generate`` streams characters as they are sampled.
"""

import math
from collections.abc import Callable
from dataclasses import asdict, replace

from rnnkit.cli.config import TextGenerateJob, TextTrainJob
from rnnkit.cli.flags import job_record
from rnnkit.cli.jobs import EpochBar, JobResult, optional_outputs, start_runtime
from rnnkit.io.files import prepare_out, write_json_atomic, write_text_atomic
from rnnkit.io.plots import plot_loss
from rnnkit.io.sources import load_corpus
from rnnkit.nn.init import seeded
from rnnkit.nn.models import CharLM
from rnnkit.text.charlm import CharVocab, default_prompt, load_char_model, save_char_model
from rnnkit.text.charlm import generate as sample
from rnnkit.text.estimator import stream_split
from rnnkit.training.loop import train as train_model
from rnnkit.training.loop import validation_loss
from rnnkit.training.runtime import Runtime


def start_job_runtime(job: TextTrainJob) -> Runtime:
    """Threads, device and process group for the job's network."""
    return start_runtime(job.runtime, replace(job.network, cell=job.model), job.train.batch_size)


def prepare(job: TextTrainJob, text: str, device: str = "cpu"):
    """(vocabulary, ids, training streams, validation streams, model on ``device``).

    The last ``val_fraction`` of the text validates; the model is drawn from the job's seed.
    """
    vocab = CharVocab.from_text(text)  # over the whole corpus: characters, not statistics
    ids = vocab.encode(text)
    cfg = job.train
    train_batches, val_batches = stream_split(ids, cfg.batch_size, job.seq_len, job.val_fraction)
    with seeded(cfg.seed):
        model = CharLM(len(vocab), **asdict(replace(job.network, cell=job.model))).to(device)
    return vocab, ids, train_batches, val_batches, model


def validation_score(job: TextTrainJob, text: str, on_epoch=None, device: str = "cpu") -> float:
    """The best validation loss (nats/char) of the job's model: what ``rnnkit tune text``
    minimises."""
    _, _, train_batches, val_batches, model = prepare(job, text, device)
    return train_model(model, train_batches, job.train, val_batches=val_batches,
                       on_epoch=on_epoch).best_val_loss


def train(job: TextTrainJob) -> JobResult:
    """The job; under torchrun every rank trains on its share of the streams, rank 0 writes."""
    runtime = start_job_runtime(job)
    network = replace(job.network, cell=job.model)
    corpus = load_corpus(job.corpus)
    vocab, ids, train_batches, val_batches, model = prepare(job, corpus, runtime.device)
    prompt = job.prompt or default_prompt(corpus)
    vocab.encode(prompt, "--prompt")  # before training, not after it
    cfg = job.train
    out = prepare_out(job.out)
    steps = cfg.steps or cfg.epochs * len(train_batches)
    bar = EpochBar(math.ceil(steps / len(train_batches)), job.progress and runtime.is_main,
                   job.seq_len)
    history = train_model(model, train_batches, cfg, val_batches=val_batches,
                          checkpoint_dir=out / "checkpoints", resume=job.resume,
                          on_epoch=bar.update, record=job_record(job))
    bar.close()
    val_loss = validation_loss(model, val_batches)  # every rank: it is reduced over them
    if not runtime.is_main:
        return JobResult({}, [])
    seconds = sum(r["seconds"] for r in history.records)
    tokens = len(history.steps) * cfg.batch_size * job.seq_len
    metrics = {"train_loss": history.records[-1]["train_loss"], "val_loss": val_loss,
               "val_bpc": val_loss / math.log(2), "tokens_per_s": tokens / seconds,
               "steps": len(history.steps), "seconds": seconds, "vocab_size": len(vocab),
               "characters": len(ids), "config": job_record(job), "runtime": runtime.record()}
    save_char_model(out / "model", model, vocab, network, prompt, run=runtime.record())
    write_json_atomic(out / "metrics.json", metrics)
    lines = [f"train {metrics['train_loss']:.4f} nats/char, validation {val_loss:.4f} "
             f"nats/char ({metrics['val_bpc']:.3f} bits/char), {metrics['tokens_per_s']:.0f} "
             "tokens/s"]

    def samples() -> None:
        text = sample(model, vocab, prompt, job.sample_length, temperature=job.temperature,
                      seed=cfg.seed)
        write_text_atomic(out / "samples.txt", prompt + text + "\n")
    return optional_outputs(JobResult(metrics, lines, out, ["metrics.json", "model/"]), {
        "samples.txt": samples,
        "loss.png": lambda: plot_loss(out / "loss.png", [history], "cross-entropy (nats/char)",
                                      f"{job.model.upper()} on {job.corpus}")})


def generate(job: TextGenerateJob, on_text: Callable[[str], None] | None = None) -> JobResult:
    """Sample from a saved model; ``on_text`` sees the prompt, then each character as it comes."""
    runtime = start_runtime(job.runtime)
    model, vocab, saved_prompt = load_char_model(job.model)
    model.to(runtime.device)
    prompt = job.prompt or saved_prompt
    vocab.encode(prompt, "--prompt")  # before anything is printed
    if on_text is not None:
        on_text(prompt)
    text = sample(model, vocab, prompt, job.length, temperature=job.temperature,
                  top_k=job.top_k, seed=job.seed, on_text=on_text)
    lines = [] if on_text is not None else [prompt + text]
    return JobResult({"prompt": prompt, "text": text}, lines)
