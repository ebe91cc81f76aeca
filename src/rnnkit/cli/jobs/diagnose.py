"""``rnnkit diagnose``: how far back gradients reach in a freshly built, seeded cell.

Writes into ``job.out``: gradients.json (every measurement of :func:`rnnkit.nn.diagnostics.diagnose`
for the chosen cell, and the gradient curves of the others) and gradients.png.
"""

from dataclasses import asdict, replace

import numpy as np
import torch

from rnnkit.cli.config import DiagnoseJob
from rnnkit.cli.flags import job_record
from rnnkit.cli.jobs import JobResult, start_runtime
from rnnkit.io.files import prepare_out, write_json_atomic
from rnnkit.io.plots import plot_gradient_flow
from rnnkit.nn.diagnostics import diagnose
from rnnkit.nn.init import seeded
from rnnkit.nn.models import ModelConfig, recurrent_layer
from rnnkit.nn.spectra import rescale_spectral_radius_

INPUT_SIZE = 1


def measure(network: ModelConfig, length: int, batch_size: int = 16,
            spectral_radius: float = 0.0, seed: int = 0, device: str = "cpu") -> dict:
    """:func:`diagnose` of a one-layer ``network`` on N(0, 1) inputs (B, T, 1), all seeded.

    Three generators spawned from ``seed`` draw the weights, the inputs and the loss's readout;
    ``spectral_radius`` > 0 rescales W_hh (every gate block) to it first. The draws are made
    on the CPU, then moved to ``device``: the same numbers on every device.
    """
    layer_seed, x_seed, readout_seed = (int(s.generate_state(1)[0]) for s in
                                        np.random.SeedSequence(seed).spawn(3))
    with seeded(layer_seed):
        layer = recurrent_layer(INPUT_SIZE, **asdict(replace(network, num_layers=1)))
    if spectral_radius:
        rescale_spectral_radius_(layer, spectral_radius)
    gen = torch.Generator().manual_seed(x_seed)
    x = torch.randn(batch_size, length, INPUT_SIZE, generator=gen)  # (B, T, F)
    return diagnose(layer.to(device), x.to(device), seed=readout_seed)


def run(job: DiagnoseJob) -> JobResult:
    runtime = start_runtime(job.runtime, replace(job.network, cell=job.model), job.batch_size)
    out = prepare_out(job.out)
    settings = {"length": job.length, "batch_size": job.batch_size,
                "spectral_radius": job.spectral_radius, "seed": job.seed,
                "device": runtime.device}
    chosen = replace(job.network, cell=job.model)
    report = {"cell": job.model, "config": job_record(job), **measure(chosen, **settings)}
    # the same set-up for the other cells, and the LSTM with its forget gate half shut
    forget_bias = job.network.forget_bias
    contrast = 0.0 if forget_bias != 0 else 1.0
    curves, chosen_label = {}, ""
    for cell, label, bias in (("rnn", f"rnn ({job.network.nonlinearity})", forget_bias),
                              ("lstm", f"lstm (forget bias {forget_bias:g})", forget_bias),
                              ("gru", "gru", forget_bias),
                              ("lstm", f"lstm (forget bias {contrast:g})", contrast)):
        same = cell == job.model and bias == forget_bias
        network = replace(job.network, cell=cell, forget_bias=bias)
        curves[label] = (report if same else measure(network, **settings))["grad_norm"]
        chosen_label = chosen_label or (label if same else "")
    report["comparison"] = curves
    write_json_atomic(out / "gradients.json", report)
    plot_gradient_flow(out / "gradients.png", curves, f"‖∂L/∂h_t‖, loss at t = "
                       f"{job.length - 1}, hidden {job.network.hidden_size}", chosen_label)
    g = report["grad_norm"]
    lines = [f"{job.model}: spectral radius of W_hh {report['spectral_radius']:.4f}, largest "
             f"singular value {report['largest_singular_value']:.4f}"]
    for lag in sorted({0, 10, 50, 100, job.length - 1} & set(range(job.length))):
        lines.append(f"  lag {lag:>5}: ‖∂L/∂h_t‖ = {g[job.length - 1 - lag]:.3e}")
    return JobResult(report, lines, out, ["gradients.json", "gradients.png"])
