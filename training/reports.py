"""Reports of a training run: metrics files, a comparison table, figures."""

from __future__ import annotations

import json
import tempfile
from contextlib import contextmanager
from pathlib import Path

COMPARISON_COLUMNS = (
    ("Accuracy", "accuracy"),
    ("Balanced accuracy", "balanced_accuracy"),
    ("Precision", "precision_female"),
    ("Recall", "recall_female"),
    ("Recall (male)", "recall_male"),
    ("Speaker accuracy", "speaker_accuracy"),
    ("ROC AUC", "roc_auc"),
)


def _fmt(value) -> str:
    return "–" if value is None else f"{value:.4f}"


def comparison_table(metrics: dict[str, dict], baseline: dict) -> str:
    """Markdown table: one row per network and one for the pitch baseline.

    Precision and Recall are for the female class; balanced accuracy and both recalls
    are given because the classes are unbalanced.
    """
    header = "| Model | " + " | ".join(name for name, _ in COMPARISON_COLUMNS) + " |"
    rule = "|" + "---|" * (len(COMPARISON_COLUMNS) + 1)
    rows = [
        f"| {name.upper()} | "
        + " | ".join(_fmt(m.get(key)) for _, key in COMPARISON_COLUMNS)
        + " |"
        for name, m in metrics.items()
    ]
    rows.append(
        f"| Pitch baseline ({baseline.get('threshold_hz', 0):.0f} Hz) | "
        + " | ".join(_fmt(baseline.get(key)) for _, key in COMPARISON_COLUMNS)
        + " |"
    )
    return "\n".join([header, rule, *rows])


def write_reports(run, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for model_type, metrics in run.metrics.items():
        folder = directory / model_type
        folder.mkdir(exist_ok=True)
        payload = {
            "run": run.pk,
            "model_type": model_type,
            "dataset": run.dataset,
            "dataset_checksum": run.dataset_checksum,
            "test_speakers": run.eval_speakers,
            "metrics": metrics,
            "baseline": run.baseline_metrics,
            "params": run.params,
            "epochs_run": len(run.history.get(model_type, [])),
        }
        (folder / "metrics.json").write_text(json.dumps(payload, indent=2))
    summary = run.data_summary
    text = "\n".join(
        [
            f"# Training run {run.pk}",
            "",
            f"Held-out test speakers: {summary.get('speakers', {}).get('test', '?')} "
            f"({summary.get('clips_used', {}).get('test', '?')} clips), never seen in "
            "training or validation.",
            "",
            comparison_table(run.metrics, run.baseline_metrics),
            "",
            run.decision,
            "",
        ]
    )
    (directory / "comparison.md").write_text(text)


def plot_learning_curves(history: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [h["epoch"] for h in history]
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    for axis, key in zip(axes, ("loss", "accuracy")):
        axis.plot(epochs, [h.get(key) for h in history], label="train")
        axis.plot(epochs, [h.get(f"val_{key}") for h in history], label="validation")
        axis.set_xlabel("epoch")
        axis.set_title(key)
        axis.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def plot_confusion_matrix(matrix: list[list[int]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axis = plt.subplots(figsize=(3.6, 3.2))
    axis.imshow(matrix, cmap="Blues")
    labels = ["male", "female"]
    axis.set_xticks([0, 1], labels)
    axis.set_yticks([0, 1], labels)
    axis.set_xlabel("predicted")
    axis.set_ylabel("true")
    for i in range(2):
        for j in range(2):
            axis.text(j, i, str(matrix[i][j]), ha="center", va="center")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


@contextmanager
def figures(run, version):
    """A temporary folder with the version's learning curves and confusion matrix."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        plot_learning_curves(
            run.history.get(version.model_type, []), folder / "learning_curves.png"
        )
        plot_confusion_matrix(
            version.metrics["confusion_matrix"], folder / "confusion_matrix.png"
        )
        yield folder
