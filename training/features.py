"""Frame-level features shared by training and inference.

The same function, with the same saved :class:`FeatureConfig` and normalisation
statistics, turns 16 kHz samples into the network's input in both places; a model's
artifact carries both, so serving can never drift from training.

Per frame: 20 MFCCs with per-utterance mean removed, their deltas, a log-F0 track from
YIN on every frame (its absolute level is the strongest gender cue, so it is never
normalised per utterance), a voicing flag and the frame energy relative to the loudest
frame.

These features are defined by librosa calls (:func:`extract_features_librosa`);
:func:`extract_features` computes exactly the same numbers with numpy and scipy.fft
alone, faster and without importing librosa, numba or scipy.signal in web processes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np

FEATURES_VERSION = 1


@dataclass(frozen=True)
class FeatureConfig:
    sample_rate: int = 16_000
    n_mfcc: int = 20
    n_mels: int = 40
    n_fft: int = 512
    win_length: int = 400  # 25 ms
    hop_length: int = 320  # 20 ms
    f0_min: float = 65.0  # above mains hum, below the lowest adult male voices
    f0_max: float = 400.0
    f0_frame_length: int = 1024
    f0_reference_hz: float = 150.0
    voicing_floor_db: float = 35.0  # frames this far below the loudest are unvoiced
    window_frames: int = 100  # 2 s at a 20 ms hop: the network's input length
    window_hop_frames: int = 50
    version: int = FEATURES_VERSION

    @property
    def n_features(self) -> int:
        return 2 * self.n_mfcc + 3

    @property
    def frame_seconds(self) -> float:
        return self.hop_length / self.sample_rate

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "FeatureConfig":
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    def fingerprint(self) -> str:
        text = json.dumps(self.to_dict(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class Normalizer:
    """Global standardisation fitted on the training frames and saved with a model."""

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, frames: np.ndarray) -> "Normalizer":
        mean = frames.mean(axis=0)
        std = frames.std(axis=0)
        return cls(mean.astype(np.float32), np.maximum(std, 1e-3).astype(np.float32))

    def apply(self, frames: np.ndarray) -> np.ndarray:
        return ((frames - self.mean) / self.std).astype(np.float32)

    def to_dict(self) -> dict:
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_dict(cls, data: dict) -> "Normalizer":
        return cls(
            np.asarray(data["mean"], dtype=np.float32),
            np.asarray(data["std"], dtype=np.float32),
        )


@dataclass
class Features:
    """One clip's frames (T, n_features), its F0 track in Hz and voicing flags."""

    frames: np.ndarray
    f0_hz: np.ndarray
    voiced: np.ndarray

    @property
    def median_f0(self) -> float:
        """Median F0 of voiced frames; NaN when no frame is voiced."""
        voiced = self.f0_hz[self.voiced]
        return float(np.median(voiced)) if voiced.size else float("nan")


def _voicing(f0: np.ndarray, energy_db: np.ndarray, floor_db: float) -> np.ndarray:
    """Voiced = loud enough and a pitch track that continues into a neighbour frame.

    YIN returns a value on every frame; on unvoiced frames it jumps about, on voiced
    ones it moves smoothly, so continuity is a cheap periodicity test.
    """
    loud = energy_db > -floor_db
    log_f0 = np.log2(f0)
    step = np.abs(np.diff(log_f0)) < 0.08
    smooth = np.zeros_like(loud)
    smooth[:-1] |= step
    smooth[1:] |= step
    return loud & smooth


def extract_features(samples: np.ndarray, config: FeatureConfig) -> Features:
    """16 kHz mono float samples -> :class:`Features` (not yet globally normalised)."""
    y = np.ascontiguousarray(samples, dtype=np.float32)
    if not np.isfinite(y).all():
        raise ValueError("Audio buffer is not finite everywhere")
    min_len = config.f0_frame_length
    if y.size < min_len:
        y = np.pad(y, (0, min_len - y.size))
    # Centred frames: zeros around the signal, padded once for all three analyses.
    widths = (config.n_fft, config.f0_frame_length, config.win_length)
    most = max(widths) // 2
    padded = np.pad(y, most)

    def centred(width: int) -> np.ndarray:
        return padded[most - width // 2 : padded.size - most + width // 2]

    mel = _mel_power(centred(config.n_fft), config)
    mfcc = _dct_ortho(_power_to_db(mel))[: config.n_mfcc]
    mfcc -= mfcc.mean(axis=1, keepdims=True)
    delta = _delta(mfcc)
    f0 = _yin(centred(config.f0_frame_length), config)
    rms = _rms(centred(config.win_length), config.win_length, config.hop_length)
    return _assemble(mfcc, delta, f0, rms, config)


def _assemble(mfcc, delta, f0, rms, config: FeatureConfig) -> Features:
    """Per-frame features from the MFCCs, deltas, F0 track and frame RMS."""
    n = min(mfcc.shape[1], f0.size, rms.size)
    mfcc, delta, f0, rms = mfcc[:, :n], delta[:, :n], f0[:n], rms[:n]
    energy_db = 20 * np.log10(np.maximum(rms, 1e-5))
    energy_db -= energy_db.max()
    voiced = _voicing(f0, energy_db, config.voicing_floor_db)
    log_f0 = np.where(voiced, np.log2(f0 / config.f0_reference_hz), 0.0)
    frames = np.concatenate(
        [
            mfcc.T,
            delta.T,
            log_f0[:, None],
            voiced[:, None].astype(np.float32),
            (energy_db / config.voicing_floor_db)[:, None],
        ],
        axis=1,
    ).astype(np.float32)
    return Features(frames=frames, f0_hz=f0.astype(np.float32), voiced=voiced)


# --------------------------------------------------------------------------- kernels
#
# The functions below compute, bit for bit, what librosa 0.11 computes for the calls
# in extract_features_librosa, by the same operations on arrays of the same layout
# (tests/test_serving.py compares them on real clips of many lengths). What differs:
# the signal is padded once; frames are processed in blocks (bounded memory on long
# recordings, no full complex STFT); YIN sums energies over the 248 lags it uses,
# not all 1024, and interpolates only at the lag it picks; the window and mel filter
# bank are built once per process; and nothing imports librosa, numba or
# scipy.signal, which cost a fresh web worker 2-3 s before its first answer.
# Measured on 2 cores: 5 s of speech 4.4-5.5 ms (librosa 9.7 ms), 10 min 0.5 s (1.7 s).

# Frames analysed at a time: bounds memory on long recordings and keeps the
# temporaries in cache; the results do not depend on it.
_BLOCK_FRAMES = 256
# scipy.signal.savgol_coeffs(9, 1, deriv=1): librosa.feature.delta's default filter.
_DELTA_COEFFS = np.array(
    [
        0.06666666666666667,
        0.05000000000000002,
        0.033333333333333326,
        0.01666666666666666,
        -1.0408340855860843e-17,
        -0.01666666666666668,
        -0.033333333333333354,
        -0.05000000000000002,
        -0.06666666666666668,
    ]
)


def _frame(y: np.ndarray, frame_length: int, hop_length: int) -> np.ndarray:
    """(frame_length, n_frames) read-only view, laid out as librosa.util.frame's."""
    n_frames = 1 + (y.size - frame_length) // hop_length
    step = y.strides[0]
    return np.lib.stride_tricks.as_strided(
        y,
        shape=(frame_length, n_frames),
        strides=(step, hop_length * step),
        writeable=False,
    )


def _hz_to_mel(frequencies):
    """librosa.hz_to_mel (Slaney)."""
    frequencies = np.asanyarray(frequencies)
    f_min, f_sp = 0.0, 200.0 / 3
    mels = (frequencies - f_min) / f_sp
    min_log_hz = 1000.0
    min_log_mel = (min_log_hz - f_min) / f_sp
    logstep = np.log(6.4) / 27.0
    if frequencies.ndim:
        log_t = frequencies >= min_log_hz
        mels[log_t] = min_log_mel + np.log(frequencies[log_t] / min_log_hz) / logstep
    elif frequencies >= min_log_hz:
        mels = min_log_mel + np.log(frequencies / min_log_hz) / logstep
    return mels


def _mel_to_hz(mels: np.ndarray) -> np.ndarray:
    """librosa.mel_to_hz (Slaney) of an array."""
    f_min, f_sp = 0.0, 200.0 / 3
    freqs = f_min + f_sp * mels
    min_log_hz = 1000.0
    min_log_mel = (min_log_hz - f_min) / f_sp
    logstep = np.log(6.4) / 27.0
    log_t = mels >= min_log_mel
    freqs[log_t] = min_log_hz * np.exp(logstep * (mels[log_t] - min_log_mel))
    return freqs


@lru_cache(maxsize=8)
def _mel_basis(sample_rate: int, n_fft: int, n_mels: int) -> np.ndarray:
    """librosa.filters.mel(sr=sample_rate, n_fft=n_fft, n_mels=n_mels): Slaney."""
    weights = np.zeros((n_mels, 1 + n_fft // 2), dtype=np.float32)
    fftfreqs = np.fft.rfftfreq(n=n_fft, d=1.0 / sample_rate)
    min_mel = _hz_to_mel(0.0)
    max_mel = _hz_to_mel(float(sample_rate) / 2)
    mel_f = _mel_to_hz(np.linspace(min_mel, max_mel, n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = np.subtract.outer(mel_f, fftfreqs)
    for i in range(n_mels):
        lower = -ramps[i] / fdiff[i]
        upper = ramps[i + 2] / fdiff[i + 1]
        weights[i] = np.maximum(0, np.minimum(lower, upper))
    enorm = 2.0 / (mel_f[2 : n_mels + 2] - mel_f[:n_mels])
    weights *= enorm[:, np.newaxis]
    weights.flags.writeable = False
    return weights


@lru_cache(maxsize=8)
def _stft_window(win_length: int, n_fft: int) -> np.ndarray:
    """scipy.signal.get_window("hann", win_length, fftbins=True), centred in n_fft."""
    fac = np.linspace(-np.pi, np.pi, win_length + 1, dtype=np.float64)
    window = np.zeros(win_length + 1, dtype=np.float64)
    for k, a in enumerate(np.asarray([0.5, 0.5])):
        window += a * np.cos(k * fac)
    window = window[:-1]
    lpad = (n_fft - win_length) // 2
    window = np.pad(window, (lpad, n_fft - win_length - lpad))[:, None]
    window.flags.writeable = False
    return window


def _mel_power(padded: np.ndarray, config: FeatureConfig) -> np.ndarray:
    """Mel power spectrogram (n_mels, n_frames) of the centred signal's frames."""
    import scipy.fft

    n_fft = config.n_fft
    frames = _frame(padded, n_fft, config.hop_length)
    window = _stft_window(config.win_length, n_fft)
    power = np.empty((1 + n_fft // 2, frames.shape[1]), dtype=np.float32, order="F")
    for start in range(0, frames.shape[1], _BLOCK_FRAMES):
        block = slice(start, start + _BLOCK_FRAMES)
        spectrum = scipy.fft.rfft(window * frames[:, block], axis=-2)
        power[:, block] = np.abs(spectrum.astype(np.complex64)) ** 2.0
    return np.matmul(_mel_basis(config.sample_rate, n_fft, config.n_mels), power)


def _power_to_db(power: np.ndarray) -> np.ndarray:
    """librosa.power_to_db with its defaults (ref=1, amin=1e-10, top_db=80)."""
    log_spec = 10.0 * np.log10(np.maximum(1e-10, power))
    log_spec -= 10.0 * np.log10(np.maximum(1e-10, 1.0))
    return np.maximum(log_spec, log_spec.max() - 80.0)


def _dct_ortho(spectrum: np.ndarray) -> np.ndarray:
    import scipy.fft

    return scipy.fft.dct(spectrum, axis=-2, type=2, norm="ortho")


def _delta(data: np.ndarray) -> np.ndarray:
    """First-order deltas over 9 frames, edges repeated (librosa.feature.delta)."""
    from scipy.ndimage import convolve1d

    return convolve1d(data, _DELTA_COEFFS, axis=-1, mode="nearest", cval=0.0)


def _rms(padded: np.ndarray, frame_length: int, hop_length: int) -> np.ndarray:
    frames = _frame(padded, frame_length, hop_length)
    power = np.mean(np.square(frames, dtype=np.float32), axis=-2, keepdims=True)
    return np.sqrt(power)[0]


def _yin_difference(frames: np.ndarray, min_period: int, max_period: int):
    """Cumulative mean normalised difference, (n_frames, lags): YIN's equation 8.

    ``frames`` is (n_frames, frame_length). Only the first ``max_period + 1`` lags
    of the energy terms are ever used, so only those are summed.
    """
    import scipy.fft

    n_pad = 2 * frames.shape[1]
    spectrum = scipy.fft.rfft(frames, n=n_pad, axis=-1)
    # The power spectrum in the spectrum's own buffer, still complex (irfft would
    # convert a real one): no second array of this size per block.
    real, imag = spectrum.real, spectrum.imag
    np.square(real, out=real)
    np.square(imag, out=imag)
    real += imag
    imag[...] = 0
    acf = scipy.fft.irfft(spectrum, n=n_pad, axis=-1)[:, : max_period + 1]
    energy = np.square(frames[:, : max_period + 1])
    np.cumsum(energy, out=energy, axis=-1)
    k = slice(1, max_period + 1)
    energy[:, 0] = 0
    energy[:, k] = 2 * (acf[:, 0:1] - acf[:, k]) - energy[:, : k.stop - 1]
    numerator = energy[:, min_period : max_period + 1]
    cumulative_mean = np.cumsum(energy[:, k], axis=-1) / np.r_[k]
    denominator = cumulative_mean[:, min_period - 1 : max_period]
    return numerator / (denominator + np.finfo(denominator.dtype).tiny)


def _parabolic_shift(d: np.ndarray, lag: np.ndarray) -> np.ndarray:
    """Offset of the parabola through each row's ``lag`` and its neighbours.

    0 at the first and last lag, and where the vertex is more than a lag away.
    """
    rows = np.arange(d.shape[0])
    inside = (lag > 0) & (lag < d.shape[1] - 1)
    at = np.clip(lag, 1, d.shape[1] - 2)
    left, middle, right = d[rows, at - 1], d[rows, at], d[rows, at + 1]
    a = right + left - 2 * middle
    b = (right - left) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        shift = np.where(np.abs(b) >= np.abs(a), 0, -b / a)
    return np.where(inside, shift, 0)


def _yin(padded: np.ndarray, config: FeatureConfig) -> np.ndarray:
    """librosa.yin of the centred signal (trough_threshold=0.1), in Hz."""
    sr, frame_length = config.sample_rate, config.f0_frame_length
    frames = _frame(padded, frame_length, config.hop_length).T
    min_period = int(np.floor(sr / config.f0_max))
    max_period = min(int(np.ceil(sr / config.f0_min)), frame_length - 1)
    f0 = np.empty(frames.shape[0], dtype=np.float64)
    for start in range(0, frames.shape[0], _BLOCK_FRAMES):
        block = slice(start, start + _BLOCK_FRAMES)
        d = _yin_difference(frames[block], min_period, max_period)
        is_trough = np.zeros(d.shape, dtype=bool)
        is_trough[:, 1:-1] = (d[:, 1:-1] < d[:, :-2]) & (d[:, 1:-1] <= d[:, 2:])
        is_trough[:, -1] = d[:, -1] < d[:, -2]
        is_trough[:, 0] = d[:, 0] < d[:, 1]
        below = is_trough & (d < 0.1)
        period = np.argmax(below, axis=-1)
        no_trough = ~below.any(axis=-1)
        period[no_trough] = np.argmin(d[no_trough], axis=-1)
        f0[block] = sr / (min_period + period + _parabolic_shift(d, period))
    return f0


def extract_features_librosa(samples: np.ndarray, config: FeatureConfig) -> Features:
    """The definition of these features in librosa's calls: slow, for proofs only.

    :func:`extract_features` must return exactly this (tests compare them on real
    clips); the benchmarks time it as the seed's feature code.
    """
    import librosa

    y = np.ascontiguousarray(samples, dtype=np.float32)
    min_len = config.f0_frame_length
    if y.size < min_len:
        y = np.pad(y, (0, min_len - y.size))
    mel = librosa.feature.melspectrogram(
        y=y,
        sr=config.sample_rate,
        n_fft=config.n_fft,
        win_length=config.win_length,
        hop_length=config.hop_length,
        n_mels=config.n_mels,
        power=2.0,
    )
    mfcc = librosa.feature.mfcc(S=librosa.power_to_db(mel), n_mfcc=config.n_mfcc)
    mfcc -= mfcc.mean(axis=1, keepdims=True)
    delta = librosa.feature.delta(mfcc, order=1, mode="nearest")
    f0 = librosa.yin(
        y,
        fmin=config.f0_min,
        fmax=config.f0_max,
        sr=config.sample_rate,
        frame_length=config.f0_frame_length,
        hop_length=config.hop_length,
    )
    rms = librosa.feature.rms(
        y=y, frame_length=config.win_length, hop_length=config.hop_length
    )[0]
    return _assemble(mfcc, delta, f0, rms, config)


def window_starts(n_frames: int, config: FeatureConfig) -> list[int]:
    """Start frames of the windows that cover a clip; the last one ends at its end."""
    size, hop = config.window_frames, config.window_hop_frames
    if n_frames <= size:
        return [0]
    starts = list(range(0, n_frames - size + 1, hop))
    if starts[-1] + size < n_frames:
        starts.append(n_frames - size)
    return starts


def make_windows(frames: np.ndarray, config: FeatureConfig) -> np.ndarray:
    """(T, F) frames -> (n_windows, window_frames, F).

    A clip shorter than one window is repeated to fill it, so every window the network
    sees holds real speech rather than padding.
    """
    size = config.window_frames
    if frames.shape[0] < size:
        reps = int(np.ceil(size / max(frames.shape[0], 1)))
        return np.tile(frames, (reps, 1))[:size][None]
    starts = window_starts(frames.shape[0], config)
    return np.stack([frames[s : s + size] for s in starts])


def window_voicing(voiced: np.ndarray, config: FeatureConfig) -> np.ndarray:
    """Share of voiced frames in each window, aligned with :func:`make_windows`."""
    size = config.window_frames
    if voiced.size < size:
        return np.array([voiced.mean() if voiced.size else 0.0], dtype=np.float32)
    return np.array(
        [voiced[s : s + size].mean() for s in window_starts(voiced.size, config)],
        dtype=np.float32,
    )
