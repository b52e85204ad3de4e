"""Accounts, invites and websocket tickets: thin views over couples.services."""

from django.conf import settings
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.db import transaction
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_protect
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from couples import mail, services
from couples.api import request_login
from couples.middleware import forget_this_browser
from couples.models import OutgoingMail
from couples.serializers import (
    AccountDeleteSerializer,
    CredentialsSerializer,
    DetailSerializer,
    InviteSerializer,
    PasswordChangeSerializer,
    PasswordResetSerializer,
    RegisteredSerializer,
    RegisterSerializer,
    TicketSerializer,
    TokenSerializer,
    UserSerializer,
    errors,
)
from couples.throttles import AddressThrottle, LoginGuard, PasswordResetThrottle
from couples.words import WORDS


def _authenticate(request) -> tuple:
    """The user behind the credentials, and the login's guard (couples.throttles)."""
    serializer = CredentialsSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    guard = LoginGuard(request._request, serializer.validated_data["username"])
    if (wait := guard.wait()) is not None:
        raise exceptions.Throttled(wait=wait)
    user = authenticate(request._request, **serializer.validated_data)
    if user is None:
        guard.failed()
        raise services.ServiceError("bad_credentials", status=401)
    return user, guard


class RegisterView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [AddressThrottle]

    @extend_schema(request=RegisterSerializer, responses={201: RegisteredSerializer, **errors(400, 429)})
    def post(self, request):
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = serializer.save()
        user.token = Token.objects.create(user=user).key
        return Response(RegisteredSerializer(user).data, status=status.HTTP_201_CREATED)


class TokenView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [AddressThrottle]

    @extend_schema(request=CredentialsSerializer, responses={200: TokenSerializer, **errors(400, 401, 429)})
    def post(self, request):
        user, guard = _authenticate(request)
        token, _ = Token.objects.get_or_create(user=user)
        response = Response({"token": token.key})
        guard.succeeded(response)
        return response


@method_decorator(csrf_protect, name="dispatch")
class LoginView(APIView):
    """Session login for browsers (CSRF-protected, unlike the token endpoint)."""

    permission_classes = [AllowAny]
    throttle_classes = [AddressThrottle]

    @extend_schema(
        request=CredentialsSerializer, responses={200: UserSerializer, **errors(400, 401, 403, 429)}
    )
    def post(self, request):
        user, guard = _authenticate(request)
        login(request._request, user)
        response = Response(UserSerializer(user).data)
        guard.succeeded(response)
        return response


class LogoutView(APIView):
    @extend_schema(request=None, responses={204: None, **errors(401)})
    def post(self, request):
        if isinstance(request.auth, Token):
            services.user_logged_out(user=request.user, login=request_login(request))
        else:
            logout(request._request)  # its user_logged_out signal closes the sockets
        return forget_this_browser(Response(status=status.HTTP_204_NO_CONTENT))


class PasswordView(APIView):
    @extend_schema(request=PasswordChangeSerializer, responses={200: TokenSerializer, **errors(400, 401)})
    def post(self, request):
        serializer = PasswordChangeSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        user = request.user
        with transaction.atomic():
            user.set_password(serializer.validated_data["new_password"])
            user.save(update_fields=["password"])
            session = None if isinstance(request.auth, Token) else request.session.session_key
            services.user_password_changed(user=user, keep_session=session)
            token = Token.objects.create(user=user)
        if not isinstance(request.auth, Token):
            update_session_auth_hash(request._request, user)
        return Response({"token": token.key})


class PasswordResetView(APIView):
    """Always 202, so that nobody learns from it whether an address has an account."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [PasswordResetThrottle]
    kind, sent = OutgoingMail.Kind.RESET, "reset_sent"

    @extend_schema(request=PasswordResetSerializer, responses={202: DetailSerializer, **errors(400, 429)})
    def post(self, request):
        serializer = PasswordResetSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        base_url = request.build_absolute_uri("/")[:-1]
        mail.link_request(kind=self.kind, email=serializer.validated_data["email"], base_url=base_url)
        return Response({"detail": str(WORDS[self.sent])}, status=status.HTTP_202_ACCEPTED)


class LoginLinkView(PasswordResetView):
    """A one-time log-in link by mail, for an owner whose account strangers' guesses
    locked: always 202, as a reset."""

    kind, sent = OutgoingMail.Kind.LOGIN_LINK, "login_link_sent"


class MeView(APIView):
    @extend_schema(responses={200: UserSerializer, **errors(401)})
    def get(self, request):
        return Response(UserSerializer(request.user).data)

    @extend_schema(request=UserSerializer, responses={200: UserSerializer, **errors(400, 401)})
    def patch(self, request):
        serializer = UserSerializer(request.user, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        email = serializer.validated_data.pop("email", None)
        with transaction.atomic():
            serializer.save()
            if email is not None:
                mail.email_set(user=request.user, email=email, base_url=request.build_absolute_uri("/")[:-1])
        return Response(UserSerializer(request.user).data)

    @extend_schema(
        request=AccountDeleteSerializer,
        responses={204: None, **errors(400, 401)},
        description="Delete my account, confirmed with my password. It cannot be undone.",
    )
    def delete(self, request):
        serializer = AccountDeleteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.account_delete(user=request.user, password=serializer.validated_data["password"])
        if not isinstance(request.auth, Token):
            request.session.flush()  # the user is gone: end this session without a logout signal
        return forget_this_browser(Response(status=status.HTTP_204_NO_CONTENT))


class InviteView(APIView):
    @extend_schema(request=None, responses={201: InviteSerializer, **errors(401, 409, 429)})
    def post(self, request):
        invite = services.invite_create(user=request.user)
        return Response(InviteSerializer(invite, context={"request": request}).data, status=201)


class WsTicketView(APIView):
    @extend_schema(request=None, responses={201: TicketSerializer, **errors(401)})
    def post(self, request):
        ticket = services.ws_ticket_create(user=request.user, login=request_login(request))
        return Response(
            {"ticket": ticket, "expires_in": settings.PORCHLIGHT["WS_TICKET_SECONDS"]}, status=201
        )
