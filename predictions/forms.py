from django import forms

MODEL_CHOICES = [
    ("", "Best model"),
    ("lstm", "LSTM"),
    ("rnn", "RNN"),
    ("gru", "GRU"),
    ("all", "Compare all three"),
]


class UploadForm(forms.Form):
    audio = forms.FileField(
        label="Recording",
        help_text="wav, flac, mp3, ogg/opus, m4a or webm; up to 10 minutes.",
        widget=forms.ClearableFileInput(attrs={"accept": "audio/*,.webm,.m4a,.opus"}),
    )
    model = forms.ChoiceField(choices=MODEL_CHOICES, required=False, label="Model")


class FeedbackForm(forms.Form):
    true_gender = forms.ChoiceField(
        choices=[("female", "Female"), ("male", "Male")],
        widget=forms.RadioSelect,
        label="The voice is",
    )
    comment = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Comment (optional)",
    )
    consent_to_train = forms.BooleanField(
        required=False,
        label="You may keep this recording to train the models",
    )
