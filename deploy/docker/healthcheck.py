"""Container health check: 0 when the service in this container answers GET /healthz with 200.

Standard library only. One service runs per container, on the port its LAPOR_<NAME>_PORT
(or the default) names; whichever of them answers is the one running here.
"""

import os
import sys
import urllib.error
import urllib.request

DEFAULT_PORTS = {"INTAKE": 8000, "ROUTING": 8001, "SLA": 8002, "NOTIFY": 8003}


def healthy(port: int) -> bool:
    """Whether /healthz on this port answers 200."""
    url = f"http://127.0.0.1:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def main() -> int:
    """Exit 0 if any configured service port is healthy."""
    ports = {
        int(os.environ.get(f"LAPOR_{name}_PORT", port)) for name, port in DEFAULT_PORTS.items()
    }
    return 0 if any(healthy(port) for port in sorted(ports)) else 1


if __name__ == "__main__":
    sys.exit(main())
