"""The ASGI application: Django's own handler for HTTP, with every view imported at start."""

import subprocess
import sys


def test_it_imports_every_view_with_the_application_not_in_a_first_request():
    probe = "import sys, config.asgi; print('signals.views' in sys.modules and 'couples.api' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "True", done.stderr
