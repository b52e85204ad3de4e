import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from couples.bell import bell_claim
from rhythms.scheduler import loops, run


class Command(BaseCommand):
    help = "Run the background loops: reminders, reconnect nudges and push notifications. Safe to run several at once."

    def add_arguments(self, parser):
        parser.add_argument("--exit-when-idle", action="store_true", help="stop when nothing is due")

    def handle(self, *args, exit_when_idle=False, **options):
        bell_claim()  # another deployment's prefix: refuse, with the reason
        stop = threading.Event()

        def on_signal(signum, frame):
            stop.set()  # checked between rows: a claim is never cut in half

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        idle = settings.PORCHLIGHT["SCHEDULER_IDLE_SECONDS"]
        rounds = {}

        def run_loop(name, steps):
            rounds[name] = run(stop, idle, exit_when_idle=exit_when_idle, steps=steps)

        threads = [
            threading.Thread(target=run_loop, args=item, name=f"loop-{item[0]}") for item in loops().items()
        ]
        self.stdout.write("run_rhythms: started", ending="\n")
        self.stdout.flush()
        for thread in threads:
            thread.start()
        for thread in threads:
            # join with a timeout so that the main thread stays free to take SIGTERM
            while thread.is_alive():
                thread.join(timeout=0.5)
        busy = sum(rounds.values())
        self.stdout.write(f"run_rhythms: stopped after {busy} busy rounds ({rounds})")
