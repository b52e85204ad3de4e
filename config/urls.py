from django.urls import include, path, register_converter
from drf_spectacular.views import SpectacularAPIView

from config.metrics import metrics_page
from couples import views as couples_views
from couples.api import IdConverter
from practice import views as practice_views
from rhythms import views as rhythms_views
from signals import views as signals_views

register_converter(IdConverter, "id")

api = [
    path("auth/register/", couples_views.RegisterView.as_view(), name="api-register"),
    path("auth/token/", couples_views.TokenView.as_view(), name="api-token"),
    path("auth/login/", couples_views.LoginView.as_view(), name="api-login"),
    path("auth/logout/", couples_views.LogoutView.as_view(), name="api-logout"),
    path("auth/password/", couples_views.PasswordView.as_view(), name="api-password"),
    path("auth/password-reset/", couples_views.PasswordResetView.as_view(), name="api-password-reset"),
    path("auth/login-link/", couples_views.LoginLinkView.as_view(), name="api-login-link"),
    path("me/", couples_views.MeView.as_view(), name="api-me"),
    path("me/export/", signals_views.ExportView.as_view(), name="api-export"),
    path("me/practices/", practice_views.PracticesView.as_view(), name="api-practices"),
    path("me/practices/self-care/", practice_views.SelfCareView.as_view(), name="api-self-care"),
    path("me/practices/steps/<str:step>/", practice_views.StepView.as_view(), name="api-step"),
    path("me/journal/", practice_views.JournalView.as_view(), name="api-journal"),
    path("me/assessment/", practice_views.AssessmentView.as_view(), name="api-assessment"),
    path("me/assessment/<id:pk>/", practice_views.AssessmentShareView.as_view(), name="api-assessment-share"),
    path("history/", signals_views.HistoryView.as_view(), name="api-history"),
    path("history/summary/", signals_views.SummaryView.as_view(), name="api-summary"),
    path("couple/", signals_views.CoupleView.as_view(), name="api-couple"),
    path("couple/invite/", couples_views.InviteView.as_view(), name="api-invite"),
    path("couple/join/", signals_views.JoinView.as_view(), name="api-join"),
    path("couple/agree/", signals_views.AgreeView.as_view(), name="api-agree"),
    path("couple/settings/", signals_views.SettingsView.as_view(), name="api-settings"),
    path("signal/", signals_views.SignalView.as_view(), name="api-signal"),
    path("signal/answer/", signals_views.SignalAnswerView.as_view(), name="api-signal-answer"),
    path("flags/", signals_views.FlagsView.as_view(), name="api-flags"),
    path("checkins/", practice_views.CheckInsView.as_view(), name="api-checkins"),
    path("asks/", practice_views.AsksView.as_view(), name="api-asks"),
    path("asks/<id:pk>/answer/", practice_views.AskAnswerView.as_view(), name="api-ask-answer"),
    path("flags/<id:pk>/dismiss/", signals_views.FlagDismissView.as_view(), name="api-flag-dismiss"),
    path("previews/", rhythms_views.PreviewsView.as_view(), name="api-previews"),
    path("previews/presets/", rhythms_views.PresetsView.as_view(), name="api-presets"),
    path("reunion/", rhythms_views.ReunionView.as_view(), name="api-reunion"),
    path("rhythm/blocks/", rhythms_views.BlocksView.as_view(), name="api-blocks"),
    path("rhythm/blocks/<id:pk>/", rhythms_views.BlockView.as_view(), name="api-block"),
    path("rhythm/blocks/<id:pk>/mute/", rhythms_views.BlockMuteView.as_view(), name="api-block-mute"),
    path("rhythm/mute/", rhythms_views.BlockMuteView.as_view(), name="api-mute-all"),
    path("rhythm/upcoming/", rhythms_views.UpcomingView.as_view(), name="api-upcoming"),
    path("rhythm/calendar/", rhythms_views.CalendarFeedView.as_view(), name="api-calendar"),
    path("push/key/", signals_views.PushKeyView.as_view(), name="api-push-key"),
    path("push/devices/", signals_views.PushDevicesView.as_view(), name="api-push-devices"),
    path("push/devices/<id:pk>/", signals_views.PushDeviceView.as_view(), name="api-push-device"),
    path("push/devices/<id:pk>/test/", signals_views.PushTestView.as_view(), name="api-push-test"),
    path("ws-ticket/", couples_views.WsTicketView.as_view(), name="api-ws-ticket"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
]

urlpatterns = [
    path("", include("web.urls")),
    path("metrics", metrics_page, name="metrics"),
    path("cal/<str:secret>.ics", rhythms_views.calendar_feed, name="calendar-feed"),
    path("api/", include(api)),
]

handler400 = "web.pages.errors.bad_request"
handler403 = "web.pages.errors.permission_denied"
handler404 = "web.pages.errors.not_found"
handler500 = "web.pages.errors.server_error"
