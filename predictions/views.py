"""The public pages: upload or record, see the answer, correct it."""

import math

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from rest_framework.throttling import AnonRateThrottle

from feedback.services import FeedbackError, feedback_create
from predictions.errors import AUDIO_STATUS
from predictions.forms import FeedbackForm, UploadForm
from predictions.models import Recording
from predictions.services import prediction_create, primary_prediction
from training.audio import AudioError
from training.registry import production_versions
from training.serving import ModelUnavailable


def _upload_page(request, form, status=200, error=None):
    context = {"form": form, "error": error, "versions": production_versions()}
    return render(request, "predictions/upload.html", context, status=status)


def upload(request):
    if request.method != "POST":
        return _upload_page(request, UploadForm())
    # Anonymous uploads share the API's budget per address (ANON_THROTTLE_RATE).
    throttle = AnonRateThrottle()
    if not throttle.allow_request(request, None):
        seconds = math.ceil(throttle.wait() or 1)
        response = _upload_page(
            request,
            UploadForm(),
            status=429,
            error=f"Too many uploads from your address: try again in {seconds} s.",
        )
        response["Retry-After"] = str(seconds)
        return response
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _upload_page(request, form, status=400)
    audio = form.cleaned_data["audio"]
    try:
        recording, _ = prediction_create(
            source=audio,
            filename=audio.name,
            origin=Recording.Source.PAGE,
            model=form.cleaned_data["model"] or None,
        )
    except AudioError as exc:
        status = AUDIO_STATUS.get(exc.code, 400)
        return _upload_page(request, form, status=status, error=exc.message)
    except ModelUnavailable as exc:
        return _upload_page(request, form, status=503, error=str(exc))
    return redirect("result", public_id=recording.public_id)


def result(request, public_id, feedback_form=None, status=200):
    recording = get_object_or_404(Recording, public_id=public_id)
    predictions = list(recording.predictions.all())
    if not predictions:
        return redirect("home")
    primary = primary_prediction(predictions)
    context = {
        "recording": recording,
        "primary": primary,
        "predictions": predictions,
        "comparison": len(predictions) > 1,
        "feedback_form": feedback_form or FeedbackForm(),
        "feedback_given": primary.feedback.exists(),
    }
    return render(request, "predictions/result.html", context, status=status)


@require_POST
def feedback(request, public_id):
    recording = get_object_or_404(Recording, public_id=public_id)
    predictions = list(recording.predictions.all())
    if not predictions:
        return redirect("home")
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        return result(request, public_id, feedback_form=form, status=400)
    try:
        feedback_create(prediction=primary_prediction(predictions), **form.cleaned_data)
    except FeedbackError as exc:
        form.add_error(None, str(exc))
        return result(request, public_id, feedback_form=form, status=400)
    messages.success(request, "Thank you: your answer was recorded.")
    return redirect("result", public_id=public_id)
