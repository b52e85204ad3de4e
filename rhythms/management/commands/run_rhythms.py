import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from rhythms.scheduler import run


class Command(BaseCommand):
    help = "Fire due rhythm reminders and reconnect nudges. Safe to run several at once."

    def add_arguments(self, parser):
        parser.add_argument("--exit-when-idle", action="store_true", help="stop when nothing is due")

    def handle(self, *args, exit_when_idle=False, **options):
        stop = threading.Event()

        def on_signal(signum, frame):
            stop.set()  # checked between rows: a claim is never cut in half

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        self.stdout.write("run_rhythms: started")
        steps = run(stop, settings.PORCHLIGHT["SCHEDULER_IDLE_SECONDS"], exit_when_idle=exit_when_idle)
        self.stdout.write(f"run_rhythms: stopped after {steps} busy steps")
