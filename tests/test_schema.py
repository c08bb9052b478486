"""The JSON Schemas editors use: in step with the code, and every shipped file passes."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from monitor.alerts.webhook import webhook_schema
from monitor.catalog.eventfiles import events_schema
from monitor.config import json_schemas
from tests.conftest import ROOT, run_cli

SHIPPED = {
    "config/monitor.yaml": "monitor",
    "config/examples/production.yaml": "monitor",
    "config/watchlists/syria.yaml": "watchlist",
    "config/events.yaml": "events",
}


def test_shipped_schema_files_match_the_code():
    for name, schema in {**json_schemas(), "events": events_schema(),
                         "webhook": webhook_schema()}.items():
        shipped = json.loads((ROOT / "config" / "schema" / f"{name}.schema.json").read_text())
        assert shipped == schema, f"run: news-monitor schema -o config/schema ({name})"


@pytest.mark.parametrize("path, kind", SHIPPED.items())
def test_every_shipped_yaml_file_names_its_schema_and_passes_it(path, kind):
    text = (ROOT / path).read_text(encoding="utf-8")
    first = text.splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema=")
    schema_file = (ROOT / path).parent / first.split("=", 1)[1]
    assert schema_file.resolve() == (ROOT / "config" / "schema" / f"{kind}.schema.json")
    data = json.loads(json.dumps(yaml.safe_load(text), default=str))
    jsonschema.validate(data, json.loads(schema_file.read_text()))


def test_schema_rejects_what_check_rejects():
    schema = json_schemas()["watchlist"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"name": "w", "rules": [{"name": "R", "keywrods": ["x"]}]}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"name": "w", "rules": [{"name": "R", "priority": "huge"}]}, schema)


def test_schema_command_writes_the_config_and_webhook_files(tmp_path: Path):
    result = run_cli("schema", "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.schema.json",
                                                          "monitor.schema.json",
                                                          "watchlist.schema.json",
                                                          "webhook.schema.json"]
    written = json.loads((tmp_path / "webhook.schema.json").read_text())
    assert written == json.loads((ROOT / "config/schema/webhook.schema.json").read_text())
