"""`affiche dev` with the STAND-IN delivery consumer (see standin_delivery.py): run as
`python -m tests.federation.standin_instance PORT DATA [--empty]`.

It starts the local runner exactly as `affiche dev` does, with the public URL on 127.0.0.1 (so
two instances can federate over real HTTP), then replaces the runner's delivery-queue poller's
handler with the stand-in. Once the real delivery consumer is merged, the two-instance test can
start `affiche dev --port ... --public-url ...` instead and this file goes away.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from affiche.local.pollers import QueuePoller
from affiche.local.runner import start
from tests.federation import standin_delivery


def main() -> None:
    port, data = int(sys.argv[1]), Path(sys.argv[2])
    empty = "--empty" in sys.argv
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("botocore").setLevel(logging.WARNING)
    instance = start(port, data, empty=empty, public_url=f"http://127.0.0.1:{port}")
    queue = instance.pollers[1]
    assert isinstance(queue, QueuePoller)
    queue.stop()
    queue.join(timeout=5)
    replacement = QueuePoller(os.environ["AFFICHE_DELIVERY_QUEUE_URL"],
                              standin_delivery.lambda_handler)
    replacement.start()
    instance.pollers[1] = replacement
    if instance.admin_login:
        email, password = instance.admin_login
        print(f"email: {email}\npassword: {password}", flush=True)
    print(f"affiche is running at http://127.0.0.1:{port}", flush=True)

    def shutdown(*_: Any) -> None:
        threading.Thread(target=instance.gateway.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, shutdown)
    try:
        instance.serve_forever()
    finally:
        instance.gateway.server_close()
        for poller in instance.pollers:
            poller.stop()
        instance.saver.stop()
        instance.emulator.stop()


if __name__ == "__main__":
    main()
