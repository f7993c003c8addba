"""Tollgate's bridge between the gateway and a Python Lambda handler, one process per sandbox.

The gateway starts `python3 -u tollgate_bootstrap.py ROOT MODULE FUNCTION` with two extra pipes:
fd 3 carries invocations in, fd 4 carries answers out, one JSON document a line each. The
handler's own prints go to stdout and stderr as in Lambda, so they cannot corrupt the protocol.
The handler is loaded once, as AWS's runtime interface client (awslambdaric) loads it, and errors
are reported in its shape: errorMessage, errorType, requestId, stackTrace. Sources: docs/emulation.md.
"""

import importlib
import json
import logging
import os
import sys
import time
import traceback

REQUESTS_FD = 3
ANSWERS_FD = 4
_request_id = ""


class Context(object):
    """The context object of awslambdaric's LambdaContext: the same fields and method."""

    def __init__(self, request_id, deadline_ms, arn, identity=None, client_context=None):
        self.aws_request_id = request_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = arn
        self.identity = identity
        self.client_context = client_context
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        left = self._deadline_ms - int(time.time() * 1000)
        return left if left > 0 else 0

    def log(self, msg):
        sys.stdout.write(str(msg))

    def __repr__(self):
        return "LambdaContext([aws_request_id={},function_name={},memory_limit_in_mb={}])".format(
            self.aws_request_id, self.function_name, self.memory_limit_in_mb
        )


class Identity(object):
    __slots__ = ["cognito_identity_id", "cognito_identity_pool_id"]

    def __init__(self):
        self.cognito_identity_id = None
        self.cognito_identity_pool_id = None


class Fault(Exception):
    def __init__(self, error_type, message, trace=None):
        Exception.__init__(self, message)
        self.error_type = error_type
        self.message = message
        self.trace = trace or []


def make_error(message, error_type, trace, request_id=""):
    return {
        "errorMessage": message or "",
        "errorType": error_type or "",
        "requestId": request_id,
        "stackTrace": trace or [],
    }


def load_handler(module_name, function_name):
    """As awslambdaric's _get_handler: the same faults and messages."""
    label = module_name
    try:
        if module_name.split(".")[0] in sys.builtin_module_names:
            raise Fault(
                "Runtime.BuiltInModuleConflict",
                "Cannot use built-in module {} as a handler module".format(label),
            )
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as e:
        raise Fault("Runtime.ImportModuleError", "Unable to import module '{}': {}".format(label, e))
    except SyntaxError as e:
        trace = ['  File "%s" Line %s\n    %s' % (e.filename, e.lineno, e.text)]
        raise Fault("Runtime.UserCodeSyntaxError", "Syntax error in module '{}': {}".format(label, e), trace)
    handler = getattr(module, function_name, None)
    if handler is None:
        raise Fault(
            "Runtime.HandlerNotFound",
            "Handler '{}' missing on module '{}'".format(function_name, label),
        )
    return handler


def user_frames(tb):
    frames = traceback.extract_tb(tb)
    mine = [f for f in frames if not f.filename.endswith("tollgate_bootstrap.py")]
    return traceback.format_list(mine)


def log_error(error):
    """What awslambdaric writes to the function's log for an error (lines joined by newlines here)."""
    lines = ["[ERROR] {}: {}".format(error["errorType"], error["errorMessage"])]
    if error["stackTrace"]:
        lines.append("Traceback (most recent call last):")
        for element in error["stackTrace"]:
            lines.extend(element.rstrip("\n").splitlines())
    sys.stdout.write("\n".join(lines) + "\n")


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.aws_request_id = _request_id
        return True


def setup_logging():
    """The root logger's handler and format as in Lambda; its level is left as Python's (WARNING)."""
    logging.Formatter.converter = time.gmtime
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        logging.Formatter(
            "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
            "%Y-%m-%dT%H:%M:%S",
        )
    )
    handler.addFilter(RequestIdFilter())
    logging.getLogger().addHandler(handler)


def to_json(value):
    return json.dumps(value, separators=(",", ":"), default=_decimal)


def _decimal(value):
    import decimal

    if isinstance(value, decimal.Decimal):
        return float(value) if value != value.to_integral_value() else int(value)
    raise TypeError("Object of type {} is not JSON serializable".format(type(value).__name__))


def run_one(handler, request):
    global _request_id
    request_id = request.get("requestId", "")
    _request_id = request_id
    identity = Identity()
    context = Context(request_id, request["deadlineMs"], request.get("arn"), identity, None)
    try:
        result = handler(request.get("event"), context)
        try:
            return {"id": request["id"], "result": to_json(result)}
        except Exception as e:
            raise Fault("Runtime.MarshalError", "Unable to marshal response: {}".format(e))
    except Fault as e:
        error = make_error(e.message, e.error_type, e.trace, request_id)
    except Exception:
        kind, value, tb = sys.exc_info()
        error = make_error(str(value), kind.__name__, user_frames(tb), request_id)
    log_error(error)
    return {"id": request["id"], "error": error}


def main():
    root, module_name, function_name = sys.argv[1], sys.argv[2], sys.argv[3]
    answers = os.fdopen(ANSWERS_FD, "w", encoding="utf-8")
    requests = os.fdopen(REQUESTS_FD, "r", encoding="utf-8")
    # Nothing the handler reads from stdin belongs to the gateway.
    sys.stdin = open(os.devnull, "r")
    os.chdir(root)
    sys.path.insert(0, root)
    setup_logging()

    def send(message):
        answers.write(json.dumps(message, separators=(",", ":")) + "\n")
        answers.flush()

    version = "{}.{}.{}".format(*sys.version_info[:3])
    try:
        handler = load_handler(module_name, function_name)
    except Fault as e:
        send({"kind": "init-error", "error": make_error(e.message, e.error_type, e.trace), "version": version})
        return 1
    except Exception:
        # A module that raises while it loads: Lambda reports the exception itself as the init error.
        kind, value, tb = sys.exc_info()
        error = make_error(str(value), kind.__name__, user_frames(tb))
        log_error(error)
        send({"kind": "init-error", "error": error, "version": version})
        return 1
    send({"kind": "ready", "version": version, "executable": sys.executable})
    for line in requests:
        if line.strip():
            send(run_one(handler, json.loads(line)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
