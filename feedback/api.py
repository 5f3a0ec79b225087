from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from feedback.serializers import FeedbackSerializer
from feedback.services import FeedbackError, feedback_create
from predictions.errors import ApiError
from predictions.serializers import ErrorSerializer


class FeedbackCreateView(APIView):
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        request=FeedbackSerializer,
        responses={
            201: FeedbackSerializer,
            400: OpenApiResponse(ErrorSerializer, "A bad field or a contradiction."),
            429: OpenApiResponse(ErrorSerializer, "Too many requests."),
        },
        summary="Correct a prediction (and consent to train on its recording).",
    )
    def post(self, request):
        serializer = FeedbackSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            feedback = feedback_create(**serializer.validated_data)
        except FeedbackError as exc:
            raise ApiError("invalid_feedback", str(exc), 400) from exc
        return Response(FeedbackSerializer(feedback).data, status.HTTP_201_CREATED)
