"""The REST API for predictions, models and health (Django REST framework)."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from predictions.errors import ApiError, audio_error, error_body
from predictions.health import health_report
from predictions.models import Prediction
from predictions.serializers import (
    BatchRequestSerializer,
    BatchResponseSerializer,
    ErrorSerializer,
    HealthSerializer,
    ModelVersionSerializer,
    PredictionRequestSerializer,
    PredictionSerializer,
)
from predictions.services import prediction_create
from training.audio import AudioError
from training.registry import best_production_version, production_versions
from training.serving import ModelUnavailable

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, "Bad or corrupt audio, or a bad field."),
    413: OpenApiResponse(ErrorSerializer, "The file is too large or too long."),
    415: OpenApiResponse(ErrorSerializer, "Not audio, or a format we cannot read."),
    422: OpenApiResponse(ErrorSerializer, "The recording holds no speech."),
    429: OpenApiResponse(ErrorSerializer, "Too many requests: slow down."),
    503: OpenApiResponse(ErrorSerializer, "No production model can answer now."),
}


def _predict(upload, model: str | None, origin: str) -> list[Prediction]:
    try:
        _, predictions = prediction_create(
            source=upload, filename=upload.name, origin=origin, model=model or None
        )
    except AudioError as exc:
        raise audio_error(exc) from exc
    except ModelUnavailable as exc:
        raise ApiError("model_unavailable", str(exc), 503) from exc
    return predictions


def _serialize(predictions: list[Prediction]) -> dict:
    """The first answer (the best model's), with every answer as the comparison."""
    return PredictionSerializer(
        predictions[0], context={"comparison": predictions}
    ).data


class PredictionCreateView(APIView):
    parser_classes = [MultiPartParser, FormParser]
    serializer_class = PredictionRequestSerializer

    @extend_schema(
        operation_id="predictions_create",
        request={"multipart/form-data": PredictionRequestSerializer},
        responses={201: PredictionSerializer, **ERRORS},
        summary="Predict the gender of the voice in a recording.",
    )
    def post(self, request):
        serializer = PredictionRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        predictions = _predict(data["audio"], data.get("model"), "api")
        return Response(_serialize(predictions), status=status.HTTP_201_CREATED)


class PredictionBatchView(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="predictions_batch",
        request={"multipart/form-data": BatchRequestSerializer},
        responses={200: BatchResponseSerializer, **ERRORS},
        summary="Several recordings in one request: one result or error each.",
    )
    def post(self, request):
        serializer = BatchRequestSerializer(
            data={"audio": request.FILES.getlist("audio"), **_model(request)}
        )
        serializer.is_valid(raise_exception=True)
        files = serializer.validated_data["audio"]
        if len(files) > settings.BATCH_MAX_FILES:
            raise ApiError(
                "too_many_files",
                f"{len(files)} files sent; a batch takes at most "
                f"{settings.BATCH_MAX_FILES}.",
                413,
            )
        model = serializer.validated_data.get("model")
        results = []
        for upload in files:
            item = {"filename": upload.name}
            try:
                predictions = _predict(upload, model, "api")
            except ApiError as exc:
                item |= {"status": exc.status_code}
                item |= error_body(exc.error_code, str(exc.detail))
            else:
                item |= {"status": 201, "prediction": _serialize(predictions)}
            results.append(item)
        return Response({"results": results})


def _model(request) -> dict:
    model = request.data.get("model")
    return {} if model is None else {"model": model}


class PredictionDetailView(generics.RetrieveAPIView):
    queryset = Prediction.objects.select_related("recording")
    serializer_class = PredictionSerializer
    lookup_field = "public_id"
    lookup_url_kwarg = "id"

    @extend_schema(responses={200: PredictionSerializer, 404: ErrorSerializer})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ModelListView(APIView):
    @extend_schema(
        responses={200: ModelVersionSerializer(many=True)},
        summary="Production model versions with their held-out metrics.",
    )
    def get(self, request):
        best = best_production_version()
        versions = production_versions()
        for version in versions:
            version.best = best is not None and version.pk == best.pk
        return Response(ModelVersionSerializer(versions, many=True).data)


class HealthView(APIView):
    throttle_classes = []

    @extend_schema(
        responses={200: HealthSerializer, 503: HealthSerializer},
        summary="Ready when the database answers, a model loads and the queue is up.",
    )
    def get(self, request):
        report = health_report()
        return Response(report, status=200 if report["ready"] else 503)
