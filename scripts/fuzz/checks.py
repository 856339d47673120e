"""Schemathesis checks for Archipelago's REST API (loaded by scripts/fuzz.sh).

Every refusal of bad input names a field: a 400, 413 or 422 answer either lists `errors`,
each with a `path`, or its message starts with "<field>: ". Other refusals (401, 403, 404,
409) carry a message. Server errors are refused by the built-in not_a_server_error check.
"""
import re

import schemathesis

FIELD_MESSAGE = re.compile(r"^(Invalid (request|operation): )?[A-Za-z_$][\w.$\[\]/{}-]*: ")


@schemathesis.check
def refusals_name_a_field(ctx, response, case):
    status = response.status_code
    if status < 400 or status >= 500 or status == 401:
        return None
    try:
        body = response.json()
    except Exception:
        raise AssertionError(f"{status} without a JSON body: {response.text[:200]!r}")
    error = (body or {}).get("error") or {}
    message = error.get("message") or ""
    if status in (400, 413, 422):
        errors = body.get("errors")
        named = bool(errors) and all(
            isinstance(e, dict) and isinstance(e.get("path"), str) and e.get("message")
            for e in errors
        )
        if not named and not FIELD_MESSAGE.match(message):
            raise AssertionError(f"{status} names no field: {message!r}")
    elif not message:
        raise AssertionError(f"{status} without a message")
    return None
