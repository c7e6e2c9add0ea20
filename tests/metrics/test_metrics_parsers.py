"""Metric parsers on the real sample lines of the reference (testbeds.md 1.5, 2.5, 3.5, 4.5)."""
from __future__ import annotations

import pytest

from envdoctor import metrics
from envdoctor.errors import UsageError

TS = "2025-10-22 10:11:12,345 INFO:   "

CEREBRAS_R210 = f"""{TS}Effective batch size is 512.
{TS}Job id: wsjob-abc123, workflow id: wflow-def456, namespace: job-operator, remote log path: /n1/wsjob/workdir/job-operator/wsjob-abc123
{TS}Found existing cached compile with hash: "cs_16053036657376785725"
{TS}Compile was successful!
{TS}| Train Device=CSX, Step=50, Loss=9.44598, Rate=44.84 samples/sec, GlobalRate=44.70 samples/sec, LoopTimeRemaining=0:06:42, TimeRemaining>0:06:42
{TS}| Train Device=CSX, Step=400, Loss=6.01234, Rate=58.91 samples/sec, GlobalRate=58.52 samples/sec, LoopTimeRemaining=0:00:00, TimeRemaining>0:00:00
{TS}| Eval Device=CSX, GlobalStep=400, Batch=20, Loss=5.94325, Rate=1163.27 samples/sec, GlobalRate=1173.27 samples/sec, LoopTimeRemaining=0:00:08, TimeRemaining=0:00:08
{TS}Avg Eval Loss: 5.928174624443054
{TS}  - eval/lm_perplexity = 375.4686584472656
{TS}  - eval/accuracy = 0.16977091133594513
{TS}Evaluation completed successfully!
{TS}Training completed successfully!
{TS}Processed 48000 training sample(s) in 820.575766695 seconds.
"""  # noqa: E501 (the reference's sample lines, kept whole)


def test_cerebras_current_release() -> None:
    m = metrics.parse_text("cerebras", CEREBRAS_R210)
    v = m.values
    assert v["steps"] == 400 and v["loss"] == pytest.approx(6.01234)
    assert v["rate"] == pytest.approx(58.91) and v["global_rate"] == pytest.approx(58.52)
    assert v["samples"] == 48000 and v["train_seconds"] == pytest.approx(820.575766695)
    assert v["samples_per_sec"] == pytest.approx(48000 / 820.575766695)  # the recipe's reference 58.5
    assert v["eval_loss"] == pytest.approx(5.928174624443054)
    assert v["eval_lm_perplexity"] == pytest.approx(375.4686584472656)
    assert v["eval_accuracy"] == pytest.approx(0.16977091133594513)
    assert set(m.events) >= {"completed", "evaluated", "compiled"}


@pytest.mark.parametrize("line, key, value", [
    # R 2.0-2.3 (TS24 BERT)
    ("| Train Device=CSX, Step=100, Loss=9.50000, Rate=974.00 samples/sec, GlobalRate=974.00 samples/sec",
     "global_rate", 974.0),
    # R 1.9 (TS24 GPT-J)
    ("| Train Device=xla:0, Step=100, Loss=9.18750, Rate=19.81 samples/sec, GlobalRate=19.81 samples/sec",
     "rate", 19.81),
    ("Processed 1024000 sample(s) in 1025.603128781 seconds.", "samples", 1024000),
    ("Training completed successfully! Processed 13200 sample(s) in 1316.022207736969 seconds.", "train_seconds",
     1316.022207736969),
    # R 1.8 (SC24 fc-mnist)
    ("Training Complete. Completed 1280000 sample(s) in 53.11996841430664 seconds.", "samples_per_sec",
     1280000 / 53.11996841430664),
])
def test_cerebras_older_releases(line: str, key: str, value: float) -> None:
    assert metrics.parse_text("cerebras", TS + line).values[key] == pytest.approx(value)


def test_cerebras_r19_completion_event() -> None:
    m = metrics.parse_text("cerebras", "Training completed successfully! Processed 13200 sample(s) in 1316.0 seconds.")
    assert "completed" in m.events


def test_graphcore_mnist_and_gpt2_and_resnet() -> None:
    log = "\n".join([
        "srun: job 10671 queued and waiting for resources",
        "Graph compilation: 100%|██████████| 100/100 [00:20<00:00]",
        "Epochs:  50%|█████     | 5/10 [00:39<00:39,  7.71s/it]\rEpochs: 100%|██████████| 10/10 [01:17<00:00,  7.71s/it]",
        "Accuracy on test set: 96.85%",
    ])
    v = metrics.parse_text("graphcore", log).values
    assert v["accuracy"] == 96.85 and v["epochs"] == 10
    assert v["train_seconds"] == 77 and v["compile_seconds"] == 20
    gpt2 = ("step 0 of epoch 0, loss: 10.913220405578613, acc: 2.0071864128112793e-05, lr: 0.00012803300858899104, "
            "throughput: 646.8439205981404 samples/sec")
    v = metrics.parse_text("graphcore", gpt2).values
    assert v["throughput"] == pytest.approx(646.8439205981404) and v["loss"] == pytest.approx(10.913220405578613)
    resnet = "\n".join(["[1,0]<stdout>:[INFO] throughput: 8125.8 samples/sec",
                        "[1,1]<stdout>:[INFO] throughput: 8000.2 samples/sec",
                        "[INFO] Finished training. ... It took: 0:05:26.090631",
                        "POPRUN [I] mpirun (PID 3556098) terminated with exit code 0"])
    v = metrics.parse_text("graphcore", resnet).values
    assert v["throughput"] == pytest.approx((8125.8 + 8000.2) / 2)
    assert v["train_seconds"] == pytest.approx(326.090631)
    bert = "Compiled/Loaded model in 97.88873339025304 secs\n... throughput: 749.6 samples/sec]\nTraining time: 3.297 secs"
    v = metrics.parse_text("graphcore", bert).values
    assert v["compile_seconds"] == pytest.approx(97.88873339025304) and v["train_seconds"] == 3.297
    assert v["throughput"] == 749.6


def test_sambanova_lines() -> None:
    log = "\n".join([
        "inner train loop time : 374.6789753437042 for 10 epochs, number of global steps: 130, e2e samples_per_sec: 88.82270474202953",
        "inner train loop time : 370.0 for 10 epochs, number of global steps: 130, e2e samples_per_sec: 90.0",
        "Epoch [1/1], Step [60000/60000], Loss: 0.3553",
        "Duration:  1234",
    ])
    m = metrics.parse_text("sambanova", log)
    assert m.values["samples_per_sec"] == pytest.approx((88.82270474202953 + 90.0) / 2)
    assert m.values["instances"] == 2 and m.values["global_steps"] == 130 and m.values["epochs"] == 10
    assert m.values["duration_seconds"] == 1234 and m.values["loss"] == 0.3553
    v = metrics.parse_text("sambanova", "Test Accuracy: 91.40  Loss: 0.3014\ntime to first token 1.1981s\n"
                                        "Total Latency 1.5310s\ntokens/second overall 2.7777").values
    assert v == {"accuracy": 91.40, "loss": 0.3014, "first_token_seconds": 1.1981, "latency_seconds": 1.5310,
                 "tokens_per_sec": 2.7777}
    v = metrics.parse_text("sambanova", "epoch:0|local_step:1|global_step:1|average_loss:7.26778|steps_per_second:0.01017\n"
                                        "{'e2e_train_time': 1185.6368191242218, 'e2e_training_tokens_per_second': 4421.994927479299}").values
    assert v["loss"] == 7.26778 and v["train_seconds"] == pytest.approx(1185.6368191242218)
    assert v["tokens_per_sec"] == pytest.approx(4421.994927479299)


MINILM = """Building "minilmv2"
    ✓ Exporting PyTorch to ONNX
    ✓ Compiling model
Woohoo! Saved to ~/.cache/groqflow/minilmv2
+--------+---------------------------------------+-------------------------+----------------+----------------------+-------------+
| Source | Spearman Rank Correlation Coefficient | end-to-end latency (ms) | end-to-end IPS | on-chip latency (ms) | on-chip IPS |
+--------+---------------------------------------+-------------------------+----------------+----------------------+-------------+
| pytorch |                0.8203                |            -            |       -        |          -           |      -      |
|  groq  |                 0.8204                |           0.47          |    2144.87     |         0.38         |   2620.58   |
+--------+---------------------------------------+-------------------------+----------------+----------------------+-------------+
Proof point minilmv2.py finished!
"""


def test_groq_minilm_table() -> None:
    m = metrics.parse_text("groq", MINILM)
    assert m.values == {"spearman": 0.8204, "e2e_latency_ms": 0.47, "e2e_ips": 2144.87, "onchip_latency_ms": 0.38,
                        "onchip_ips": 2620.58}
    assert m.events == ["built", "completed"]


def test_groq_bert_tiny_row_percent() -> None:
    log = ("| Source | Accuracy | end-to-end latency (ms) | end-to-end IPS | on-chip latency (ms) | on-chip IPS |\n"
           "|  groq  |  77.47%  |           0.06          |    17147.76    |         0.03         |   32358.97  |\n")
    v = metrics.parse_text("groq", log).values
    assert v["accuracy"] == 77.47 and v["e2e_ips"] == 17147.76 and v["onchip_ips"] == 32358.97


def test_groq_row_without_header_uses_the_proof_point_columns() -> None:
    v = metrics.parse_text("groq", "|  groq  |  0.8204  |  0.47  |  2144.87  |  0.38  |  2620.58  |").values
    assert v["e2e_ips"] == 2144.87 and v["metric"] == 0.8204


def test_partial_log_cut_mid_line_keeps_only_complete_records() -> None:
    cut = MINILM.split("|  groq  |")[0] + "|  groq  |                 0.8204                |           0.4"
    v = metrics.parse_text("groq", cut).values
    assert v == {"spearman": 0.8204}  # the half-written latency is not taken
    cerebras = CEREBRAS_R210.split("Processed")[0] + "Processed 48000 training sample(s) in 820.57"
    v = metrics.parse_text("cerebras", cerebras).values
    assert "samples" not in v and v["global_rate"] == pytest.approx(58.52)


def test_interleaved_ranks_and_noise() -> None:
    log = "\n".join([
        "\x1b[32m[1,0]<stdout>:\x1b[0mstep 3 of epoch 0, loss: 5.0, acc: 0.1, lr: 0.1, throughput: 100.0 samples/sec",
        "[1,1]<stderr>:WARNING something irrelevant: throughput: unknown",
        "0: inner train loop time : 10.0 for 1 epochs, number of global steps: 5, e2e samples_per_sec: 50.0",
        "1: inner train loop time : 12.0 for 1 epochs, number of global steps: 5, e2e samples_per_sec: 70.0",
        "\x00\xff garbage ||| | groq | not | numbers |",
    ])
    assert metrics.parse_text("graphcore", log).values["throughput"] == 100.0
    v = metrics.parse_text("sambanova", log).values
    assert v["samples_per_sec"] == 60.0 and v["instances"] == 2
    assert metrics.parse_text("groq", log).values == {}


def test_no_metrics_is_an_empty_result_not_an_error(tmp_path) -> None:
    path = tmp_path / "empty.log"
    path.write_bytes(b"Traceback (most recent call last):\n  ...\nModuleNotFoundError: No module named 'poptorch'\n")
    for name in metrics.names():
        m = metrics.parse_file(name, path)
        assert m.empty and m.lines == 3
    path.write_bytes(b"")
    assert metrics.parse_file("groq", path).empty


def test_file_with_long_line_and_crlf(tmp_path) -> None:
    path = tmp_path / "big.log"
    with open(path, "wb") as fh:
        fh.write(b"x" * (3 << 20))  # a 3 MiB line without a newline
        fh.write(b"\r\nAccuracy on test set: 91.25%\r\n")
    assert metrics.parse_file("graphcore", path).values["accuracy"] == 91.25


def test_unknown_parser() -> None:
    with pytest.raises(UsageError, match="graphcore"):
        metrics.new("graphcor")


def test_loss_curve_is_kept_and_bounded() -> None:
    """Every logged loss is a point of the run's loss curve; a long log is thinned, not grown."""
    from envdoctor.metrics import parse_lines
    from envdoctor.metrics.base import MAX_POINTS

    lines = [f"| Train Device=CSX, Step={s}, Loss={10.0 / s:.5f}, Rate=58.1 samples/sec, GlobalRate=58.2 samples/sec"
             for s in range(1, 5001)]
    found = parse_lines("cerebras", lines)
    curve = found.series["loss"]
    assert len(curve) <= MAX_POINTS + 1 and curve[0] == 10.0
    assert curve == sorted(curve, reverse=True), "log order kept"
    assert found.values["loss"] == 0.002
