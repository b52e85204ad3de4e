from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from couples.models import Couple, Event, User
from signals.sockets import sockets_per_process


class Command(BaseCommand):
    help = "Print counts for the people who run Porchlight: never a name, a note or a preview."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=7, help="events per day over this many days (UTC)")

    def handle(self, *args, days=7, **options):
        now = timezone.now()
        out = self.stdout.write
        out(f"people: {User.objects.filter(is_active=True).count()}")
        out(f"couples paired: {Couple.objects.filter(ended_at__isnull=True).count()}")
        out(f"couples ended: {Couple.objects.filter(ended_at__isnull=False).count()}")
        since = (now - timedelta(days=max(1, min(days, 366)) - 1)).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        per_day = dict(
            Event.objects.filter(at__gte=since)
            .annotate(day=TruncDate("at"))
            .values_list("day")
            .annotate(n=Count("id"))
            .values_list("day", "n")
        )
        out("events per day (UTC):")
        day = since.date()
        while day <= now.date():
            out(f"  {day.isoformat()}  {per_day.get(day, 0)}")
            day += timedelta(days=1)
        if not settings.REDIS_URL:
            out("sockets: only the serving process knows them (embedded mode, no Redis): see /metrics")
            return
        processes = sockets_per_process()
        out("sockets per worker (as of each worker's last heartbeat round):")
        for process, count in processes.items():
            out(f"  {process}  {count}")
        out(f"  total  {sum(processes.values())}")
