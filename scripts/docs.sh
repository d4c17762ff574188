#!/usr/bin/env bash
# Regenerates the published contracts from the code:
#   docs/asyncapi/<service>.yaml  `faststream docs gen services.<service>.asyncapi:app --yaml`
#   docs/openapi/<service>.json   the FastAPI app's `app.openapi()`
# Usage: bash scripts/docs.sh [OUT_DIR]   (default: docs; tests/ops regenerates into a temp dir
# and compares). Runs with every LAPOR_* variable unset, so the output depends on the code and
# its defaults only, never on the caller's environment. FastStream keeps a broker's publishers
# in a WeakSet, so their order in its output changes from run to run: the channels,
# operations, messages and schemas of each AsyncAPI document are then sorted by name
# (content unchanged, same YAML dumper as FastStream's).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$(mkdir -p "${1:-$REPO/docs}" && cd "${1:-$REPO/docs}" && pwd)"
PY="${LAPOR_PYTHON:-$REPO/.venv/bin/python}"
SERVICES=(intake routing sla notify)

cd "$REPO"
while IFS= read -r var; do unset "$var"; done < <(compgen -e | grep '^LAPOR_' || true)
export PYTHONHASHSEED=0

mkdir -p "$OUT/asyncapi" "$OUT/openapi"
for service in "${SERVICES[@]}"; do
    "$PY" -m faststream docs gen "services.$service.asyncapi:app" --yaml \
        --out "$OUT/asyncapi/$service.yaml" >/dev/null
done

"$PY" - "$OUT" "${SERVICES[@]}" <<'PYTHON'
"""Sort each AsyncAPI document's maps; write each service's OpenAPI document as JSON."""

import importlib
import json
import sys
from pathlib import Path

import yaml

out = Path(sys.argv[1])
for service in sys.argv[2:]:
    path = out / "asyncapi" / f"{service}.yaml"
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    for parent, key in ((spec, "channels"), (spec, "operations"),
                        (spec["components"], "messages"), (spec["components"], "schemas")):
        if key in parent:
            parent[key] = dict(sorted(parent[key].items()))
    path.write_text(yaml.dump(spec, sort_keys=False), encoding="utf-8")
for service in sys.argv[2:]:
    app = importlib.import_module(f"services.{service}.app").create_app()
    text = json.dumps(app.openapi(), indent=2, ensure_ascii=False) + "\n"
    (out / "openapi" / f"{service}.json").write_text(text, encoding="utf-8")
PYTHON

echo "docs: wrote $OUT/asyncapi/{${SERVICES[*]// /,}}.yaml and $OUT/openapi/{${SERVICES[*]// /,}}.json"
