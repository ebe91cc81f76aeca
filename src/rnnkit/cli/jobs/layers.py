"""``rnnkit layers``: rnnkit.nn against torch.nn on this machine, agreement and speed."""

from rnnkit.cli.config import LayersJob
from rnnkit.cli.jobs import JobResult, start_runtime
from rnnkit.nn.models import ModelConfig
from rnnkit.nn.verify import compare_layers


def run(job: LayersJob) -> JobResult:
    import torch

    runtime = start_runtime(job.runtime, ModelConfig(hidden_size=job.hidden_size),
                            job.batch_size)
    rows = compare_layers(job.batch_size, job.seq_len, job.input_size, job.hidden_size,
                          job.repeats, job.seed, device=runtime.device)
    lines = [f"rnnkit.nn vs torch.nn, forward+backward, float32 (batch {job.batch_size}, seq "
             f"{job.seq_len}, input {job.input_size}, hidden {job.hidden_size}, "
             f"{runtime.device}, {torch.get_num_threads()} threads, median of {job.repeats})",
             f"{'layer':<6} {'path':<20} {'rel. diff':>11} {'seq/s':>9} {'torch seq/s':>12} "
             f"{'ratio':>6}"]
    for r in rows:
        lines.append(f"{r['layer']:<6} {r['path']:<20} {r['max_rel_diff']:>11.2e} "
                     f"{r['seq_per_s']:>9.0f} {r['torch_seq_per_s']:>12.0f} {r['ratio']:>6.2f}")
    return JobResult({"rows": rows}, lines)
