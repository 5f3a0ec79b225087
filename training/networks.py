"""Keras builders for the recurrent networks: LSTM, SimpleRNN and GRU.

Each takes windows of frame features (window_frames, n_features) and returns one logit
for P(female). Two bidirectional recurrent layers, then mean and max pooling over time.
TensorFlow is imported inside the builder, never at import time of this module.
"""

from __future__ import annotations

MODEL_TYPES = ("lstm", "rnn", "gru")


def build_network(
    model_type: str,
    *,
    window_frames: int,
    n_features: int,
    units: int = 48,
    dropout: float = 0.2,
    learning_rate: float = 1e-3,
    seed: int = 42,
):
    import keras
    from keras import layers

    cells = {"lstm": layers.LSTM, "rnn": layers.SimpleRNN, "gru": layers.GRU}
    if model_type not in cells:
        raise ValueError(f"model_type must be one of {', '.join(MODEL_TYPES)}")
    keras.utils.set_random_seed(seed)
    cell = cells[model_type]
    inputs = keras.Input(shape=(window_frames, n_features), name="frames")
    x = layers.GaussianNoise(0.05)(inputs)
    x = layers.Bidirectional(cell(units, return_sequences=True))(x)
    x = layers.Bidirectional(cell(units // 2, return_sequences=True))(x)
    pooled = layers.Concatenate()(
        [layers.GlobalAveragePooling1D()(x), layers.GlobalMaxPooling1D()(x)]
    )
    x = layers.Dropout(dropout)(pooled)
    x = layers.Dense(32, activation="relu")(x)
    logit = layers.Dense(1, name="logit")(x)
    model = keras.Model(inputs, logit, name=f"gender_{model_type}")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate, clipnorm=1.0),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
        metrics=[keras.metrics.BinaryAccuracy(threshold=0.0, name="accuracy")],
    )
    return model
