"""Metrics on held-out speakers, the pitch-threshold baseline and calibration.

Plain functions over arrays: labels are 1 for female, 0 for male; scores are
probabilities of female.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np


def _safe_auc(y_true: np.ndarray, scores: np.ndarray) -> float | None:
    from sklearn.metrics import roc_auc_score

    if len(set(y_true.tolist())) < 2:
        return None
    return float(roc_auc_score(y_true, scores))


def speaker_accuracy(y_true, y_pred, speakers) -> float:
    """Share of speakers whose clips' majority vote names their gender."""
    votes: dict[str, list[int]] = defaultdict(list)
    truth: dict[str, int] = {}
    for label, pred, speaker in zip(y_true, y_pred, speakers):
        votes[speaker].append(int(pred))
        truth[speaker] = int(label)
    if not votes:
        return float("nan")
    right = sum(int(round(np.mean(v) + 1e-9) == truth[s]) for s, v in votes.items())
    return right / len(votes)


def classification_metrics(y_true, scores, speakers, threshold: float = 0.5) -> dict:
    """Accuracy, balanced accuracy, per-class precision/recall, speaker vote, AUC."""
    from sklearn.metrics import confusion_matrix, log_loss

    y_true = np.asarray(y_true, dtype=int)
    scores = np.asarray(scores, dtype=float)
    y_pred = (scores >= threshold).astype(int)
    cm = confusion_matrix(y_true, y_pred, labels=[0, 1])
    recall = cm.diagonal() / np.maximum(cm.sum(axis=1), 1)
    precision = cm.diagonal() / np.maximum(cm.sum(axis=0), 1)
    clipped = np.clip(scores, 1e-6, 1 - 1e-6)
    return {
        "clips": int(y_true.size),
        "speakers": len(set(speakers)),
        "accuracy": float((y_pred == y_true).mean()),
        "balanced_accuracy": float(recall.mean()),
        "recall_male": float(recall[0]),
        "recall_female": float(recall[1]),
        "precision_male": float(precision[0]),
        "precision_female": float(precision[1]),
        "speaker_accuracy": speaker_accuracy(y_true, y_pred, speakers),
        "roc_auc": _safe_auc(y_true, scores),
        "log_loss": float(log_loss(y_true, clipped, labels=[0, 1])),
        "confusion_matrix": cm.tolist(),
    }


def beats(candidate: dict, incumbent: dict | None) -> tuple[bool, str]:
    """Promotion rule: higher balanced accuracy, or equal and lower log-loss."""
    if incumbent is None:
        return True, "no production model yet"
    new, old = candidate["balanced_accuracy"], incumbent["balanced_accuracy"]
    if new > old + 1e-9:
        return True, f"balanced accuracy {new:.4f} > {old:.4f}"
    if abs(new - old) <= 1e-9 and candidate["log_loss"] < incumbent["log_loss"]:
        return True, (
            f"balanced accuracy tied at {new:.4f}, log-loss "
            f"{candidate['log_loss']:.4f} < {incumbent['log_loss']:.4f}"
        )
    return False, (
        f"balanced accuracy {new:.4f} does not beat production's {old:.4f}"
        + (
            f" (log-loss {candidate['log_loss']:.4f} vs {incumbent['log_loss']:.4f})"
            if abs(new - old) <= 1e-9
            else ""
        )
    )


# --- Pitch baseline -------------------------------------------------------------------


@dataclass(frozen=True)
class PitchBaseline:
    """Female when the median F0 of voiced frames is at or above a fitted threshold."""

    threshold_hz: float
    scale: float = 8.0  # logit per octave, only to turn the rule into a soft score

    @classmethod
    def fit(cls, median_f0: np.ndarray, y_true: np.ndarray) -> "PitchBaseline":
        """Pick the threshold that maximises balanced accuracy on the training clips."""
        f0 = np.asarray(median_f0, dtype=float)
        y = np.asarray(y_true, dtype=int)
        ok = np.isfinite(f0)
        f0, y = f0[ok], y[ok]
        candidates = np.unique(np.round(f0, 1))
        best, best_score = 165.0, -1.0
        for cut in candidates:
            pred = f0 >= cut
            recall_f = pred[y == 1].mean() if (y == 1).any() else 0.0
            recall_m = (~pred[y == 0]).mean() if (y == 0).any() else 0.0
            score = (recall_f + recall_m) / 2
            if score > best_score + 1e-12:
                best, best_score = float(cut), score
        return cls(threshold_hz=best)

    def logit(self, median_f0) -> np.ndarray:
        """Octaves above the threshold, scaled; 0 (undecided) when nothing is voiced."""
        f0 = np.asarray(median_f0, dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            octaves = np.log2(f0 / self.threshold_hz)
        return np.nan_to_num(octaves * self.scale, nan=0.0)

    def probability(self, median_f0) -> np.ndarray:
        return sigmoid(self.logit(median_f0))


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.clip(np.asarray(x, dtype=float), -60, 60)))


# --- Calibration / fusion ------------------------------------------------------------


@dataclass(frozen=True)
class Calibration:
    """P(female) = sigmoid(a * network_logit + b * pitch_logit + c).

    Fitted by regularised logistic regression on validation speakers: it calibrates the
    network's confidence and fuses it with the pitch rule, which generalises across
    recording conditions.
    """

    network_weight: float = 1.0
    pitch_weight: float = 0.0
    bias: float = 0.0

    @classmethod
    def fit(cls, network_logits, pitch_logits, y_true, c: float = 0.1):
        from sklearn.linear_model import LogisticRegression

        x = np.column_stack([network_logits, pitch_logits]).astype(float)
        y = np.asarray(y_true, dtype=int)
        if len(set(y.tolist())) < 2:
            return cls()
        model = LogisticRegression(C=c, max_iter=1000).fit(x, y)
        a, b = model.coef_[0]
        return cls(float(a), float(b), float(model.intercept_[0]))

    def logit(self, network_logits, pitch_logits) -> np.ndarray:
        return (
            self.network_weight * np.asarray(network_logits, dtype=float)
            + self.pitch_weight * np.asarray(pitch_logits, dtype=float)
            + self.bias
        )

    def probability(self, network_logits, pitch_logits) -> np.ndarray:
        return sigmoid(self.logit(network_logits, pitch_logits))


def expected_calibration_error(y_true, scores, bins: int = 10) -> float:
    """Mean gap between confidence and accuracy, weighted by bin size."""
    y = np.asarray(y_true, dtype=int)
    p = np.asarray(scores, dtype=float)
    confidence = np.maximum(p, 1 - p)
    correct = (p >= 0.5).astype(int) == y
    edges = np.linspace(0.5, 1.0, bins + 1)
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        mask = (confidence >= lo) & ((confidence < hi) | (hi == 1.0))
        if mask.any():
            total += mask.mean() * abs(confidence[mask].mean() - correct[mask].mean())
    return float(total) if not math.isnan(total) else 0.0
