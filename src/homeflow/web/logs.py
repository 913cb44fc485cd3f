"""The server's logs hold no patient data: access log lines keep the path, never the query
string (a daily-call search is a patient's name)."""

from __future__ import annotations

import copy
import logging
from typing import Any


class DropQueryStrings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        # uvicorn's access record: (client, method, path with query, http version, status).
        if isinstance(record.args, tuple) and len(record.args) >= 3:
            args = list(record.args)
            args[2] = str(args[2]).split("?", 1)[0]
            record.args = tuple(args)
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's logging set-up with the access log's query strings dropped."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["no_query"] = {"()": DropQueryStrings}
    config["handlers"]["access"]["filters"] = ["no_query"]
    return config
