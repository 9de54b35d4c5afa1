# Sluice's Python runtime: speaks the Lambda Runtime API (2018-06-01) like AWS's own
# runtime, using only the standard library and one keep-alive connection.
# `_socket` rather than `socket`: the wrapper module (enum, selectors) costs ~3 ms of every cold
# start to import, and the client needs only connect, sendall and recv.
import _socket
import importlib
import json
import logging
import os
import sys
import time
import traceback

# Read again by a sandbox forked from the template process (`_serve_forks`).
API = os.environ.get("AWS_LAMBDA_RUNTIME_API", "")
HOST, _, PORT = API.rpartition(":")
PREFIX = "/2018-06-01/runtime"
JSON_TYPE = "Content-Type: application/json\r\n"


def _connect_tcp(host, port):
    """`socket.create_connection` without the `socket` module: each address in turn."""
    error = OSError("no address for " + host)
    for family, kind, proto, _, address in _socket.getaddrinfo(host, port, 0, _socket.SOCK_STREAM):
        sock = _socket.socket(family, kind, proto)
        try:
            sock.connect(address)
            return sock
        except OSError as e:
            sock.close()
            error = e
    raise error


class RuntimeApiClient:
    """A minimal HTTP/1.1 keep-alive client for the Runtime API.

    http.client costs tens of microseconds per exchange in header parsing alone; this client
    only needs Content-Length framing, which the Runtime API always uses.
    """

    def __init__(self):
        self.sock = None
        self.buf = b""

    def _connect(self):
        if self.sock is not None:
            self.sock.close()
        self.sock = _connect_tcp(HOST, int(PORT))
        # Small messages both ways: Nagle + delayed ACK would add 40 ms per exchange.
        self.sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
        self.buf = b""

    def call(self, method, path, body=b"", headers=""):
        return self.calls([(method, path, body, headers)])[-1]

    def calls(self, requests):
        """Sends the requests pipelined in one write and returns their answers in order.

        Posting a response and asking for the next event together saves a round trip per
        invocation; the Runtime API answers them in order on the one connection.
        """
        for attempt in (0, 1):
            try:
                if self.sock is None:
                    self._connect()
                self._send(requests)
                return [self._read_response() for _ in requests]
            except OSError:
                self._connect()
                if attempt:
                    raise

    def _send(self, requests):
        out = []
        for method, path, body, headers in requests:
            out.append(
                "{} {}{} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n{}\r\n".format(
                    method, PREFIX, path, API, len(body), headers
                ).encode("latin-1")
            )
            out.append(body)
        data = b"".join(out)
        self.sock.sendall(data)

    def _read_response(self):
        buf = self.buf
        while True:
            end = buf.find(b"\r\n\r\n")
            if end >= 0:
                break
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("Runtime API closed the connection")
            buf += chunk
        lines = buf[:end].decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        response_headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            response_headers[name.strip().lower()] = value.strip()
        length = int(response_headers.get("content-length", "0"))
        rest = buf[end + 4:]
        if len(rest) < length:
            data = bytearray(rest)
            while len(data) < length:
                chunk = self.sock.recv(max(65536, length - len(data)))
                if not chunk:
                    raise ConnectionError("Runtime API closed the connection")
                data += chunk
            rest = bytes(data)
        self.buf = rest[length:]
        return status, response_headers, rest[:length]


_client = RuntimeApiClient()


def _set_trace_id(trace_id):
    """Make this invocation's trace id `os.environ["_X_AMZN_TRACE_ID"]`, as on Lambda.

    Assigning to `os.environ` calls setenv(3), and glibc never frees a value it replaced (getenv
    may have handed it out), so a fresh id per invocation grew the process ~145 bytes each time.
    Python code (the X-Ray SDK, botocore) reads `os.environ`'s own mapping, so only that is
    updated; the C environment keeps the value the process started with. (AWS: the Go client
    stopped mutating the environment for the same reason and passes the id in the context.)
    """
    env = os.environ
    data = getattr(env, "_data", None)
    if data is None:  # not CPython's os._Environ: fall back to the leaky but correct path
        if trace_id:
            env["_X_AMZN_TRACE_ID"] = trace_id
        else:
            env.pop("_X_AMZN_TRACE_ID", None)
        return
    key = env.encodekey("_X_AMZN_TRACE_ID")
    if trace_id:
        data[key] = env.encodevalue(trace_id)
    else:
        data.pop(key, None)


class CognitoIdentity:
    __slots__ = ("cognito_identity_id", "cognito_identity_pool_id")

    def __init__(self, raw):
        raw = raw or {}
        self.cognito_identity_id = raw.get("cognitoIdentityId")
        self.cognito_identity_pool_id = raw.get("cognitoIdentityPoolId")


class Client:
    __slots__ = ("installation_id", "app_title", "app_version_name", "app_version_code", "app_package_name")

    def __init__(self, raw):
        self.installation_id = raw.get("installation_id")
        self.app_title = raw.get("app_title")
        self.app_version_name = raw.get("app_version_name")
        self.app_version_code = raw.get("app_version_code")
        self.app_package_name = raw.get("app_package_name")


class ClientContext:
    __slots__ = ("custom", "env", "client")

    def __init__(self, raw):
        self.custom = raw.get("custom")
        self.env = raw.get("env")
        client = raw.get("client")
        self.client = Client(client) if client else None


def _sandbox_facts():
    """The context's fields that are the same for every invocation of this sandbox, read once
    (five `os.environ` lookups were ~5 µs of every invocation)."""
    env = os.environ
    return (
        env.get("AWS_LAMBDA_FUNCTION_NAME"),
        env.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"),
        env.get("AWS_LAMBDA_LOG_GROUP_NAME"),
        env.get("AWS_LAMBDA_LOG_STREAM_NAME"),
    )


_SANDBOX = None


# The W3C trace-context fields awslambdaric takes out of the client context for `context.w3c()`.
W3C_FIELDS = ("traceparent", "tracestate", "baggage")


class LambdaContext:
    """The context object Lambda passes to Python handlers."""

    def __init__(self, request_id, deadline_ms, arn, client_context, identity, tenant_id=None):
        global _SANDBOX
        if _SANDBOX is None:
            _SANDBOX = _sandbox_facts()
        self.aws_request_id = request_id
        (self.function_name, self.function_version, self.memory_limit_in_mb,
         self.log_group_name, self.log_stream_name) = _SANDBOX
        self.invoked_function_arn = arn
        self.tenant_id = tenant_id
        w3c = client_context.pop("w3c", None) if isinstance(client_context, dict) else None
        self._w3c = {k: w3c[k] for k in W3C_FIELDS if isinstance(w3c.get(k), str)} if isinstance(w3c, dict) else {}
        self.identity = CognitoIdentity(identity)
        self.client_context = ClientContext(client_context) if client_context is not None else None
        self._deadline_ms = deadline_ms

    def w3c(self):
        return dict(self._w3c)

    def get_remaining_time_in_millis(self):
        return max(0, int(self._deadline_ms - time.time() * 1000))

    def log(self, msg):
        sys.stdout.write(str(msg))

    def __repr__(self):
        return (
            "LambdaContext([aws_request_id={},log_group_name={},log_stream_name={},function_name={},"
            "memory_limit_in_mb={},function_version={},invoked_function_arn={},client_context={},identity={},"
            "tenant_id={}])"
        ).format(
            self.aws_request_id, self.log_group_name, self.log_stream_name, self.function_name,
            self.memory_limit_in_mb, self.function_version, self.invoked_function_arn,
            self.client_context, self.identity, self.tenant_id,
        )


_current_request_id = ""


class _RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.aws_request_id = _current_request_id
        return True


# LogRecord attributes that are not the application's extra fields (awslambdaric's list).
_RESERVED_FIELDS = frozenset((
    "name", "msg", "args", "levelname", "levelno", "pathname", "filename", "module", "exc_info",
    "exc_text", "stack_info", "lineno", "funcName", "created", "msecs", "relativeCreated", "thread",
    "threadName", "processName", "process", "aws_request_id", "tenant_id", "_frame_type",
))
# Whole seconds, as awslambdaric's JSON records (and its JSON error records) carry them.
_JSON_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class _JsonFormatter(logging.Formatter):
    """AWS_LAMBDA_LOG_FORMAT=JSON (LoggingConfig.LogFormat): one JSON object per record, as
    awslambdaric writes it: levels rounded down to Python's named ones, a dict message kept as
    an object, an exception's fields and `location`, the record's extra attributes, no nulls."""

    def __init__(self):
        super().__init__(datefmt=_JSON_TIME_FORMAT)
        self.converter = time.gmtime

    def format(self, record):
        record.levelno = min(50, max(0, record.levelno)) // 10 * 10
        record.levelname = logging.getLevelName(record.levelno)
        exc = record.exc_info
        failed = bool(exc) and exc[0] is not None
        msg = record.msg
        result = {
            "timestamp": self.formatTime(record, self.datefmt),
            "level": record.levelname,
            "message": msg if isinstance(msg, dict) and not record.args else record.getMessage(),
            "logger": record.name,
            "stackTrace": traceback.format_tb(exc[2]) if failed else None,
            "errorType": exc[0].__name__ if failed else None,
            "errorMessage": str(exc[1]) if failed else None,
            "requestId": getattr(record, "aws_request_id", None),
            "location": "{}:{}:{}".format(record.pathname, record.funcName, record.lineno) if failed else None,
        }
        if getattr(record, "tenant_id", None) is not None:
            result["tenantId"] = record.tenant_id
        for key, value in record.__dict__.items():
            if key not in _RESERVED_FIELDS and key not in result:
                result[key] = value
        return _log_dumps({k: v for k, v in result.items() if v is not None}) + "\n"


# JSON log records keep non-ASCII characters on every runtime; an unserializable value in a
# message or an extra field is written as its str().
_log_dumps = json.JSONEncoder(ensure_ascii=False, default=str).encode


class _RecordHandler(logging.StreamHandler):
    """Writes each record as the formatter made it: awslambdaric's text format ends the line
    itself, so a record with a traceback ends without a newline, as on Lambda."""

    terminator = ""


def _configure_logging():
    # As on Lambda: one stdout handler on the root logger, request id in every record.
    handler = _RecordHandler(sys.stdout)
    json_format = _json_logs()
    if json_format:
        formatter = _JsonFormatter()
    else:
        formatter = logging.Formatter(
            "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n",
            "%Y-%m-%dT%H:%M:%S",
        )
        formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    # AWS: the root logger stays at Python's default (WARNING) unless AWS_LAMBDA_LOG_LEVEL names
    # a level (TRACE is DEBUG to Python); with the JSON format the application log level
    # defaults to INFO.
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL") or ("INFO" if json_format else "")
    level = {"TRACE": "DEBUG"}.get(level, level).upper()
    if level in logging._nameToLevel:
        root.setLevel(level)


def _json_logs():
    return os.environ.get("AWS_LAMBDA_LOG_FORMAT", "").upper() == "JSON"


class FaultError(Exception):
    """A failure the runtime names itself (`Runtime.*`), with the stack it reports, if any."""

    def __init__(self, error_type, message, stack=()):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.stack = list(stack)


def _user_stack(tb):
    """The traceback from the first frame that is not this bootstrap's, as awslambdaric trims
    it: a handler's error starts at the handler, an import's at importlib's `import_module`.
    Formatted from (file, line, function, text) as awslambdaric does, so without the column
    markers (`^^^^`) Python 3.11 would add."""
    frames = [(f.filename, f.lineno, f.name, f.line) for f in traceback.extract_tb(tb)]
    for i, frame in enumerate(frames):
        if frame[0] != __file__:
            return traceback.format_list(frames[i:])
    return traceback.format_list(frames)


def _load_handler(handler):
    # As awslambdaric's `_get_handler`: only an ImportError or a SyntaxError is the runtime's to
    # name; any other exception the module raises is reported as itself (`_fault_of`).
    try:
        modname, fname = handler.rsplit(".", 1)
    except ValueError as e:
        raise FaultError("Runtime.MalformedHandlerName", "Bad handler '{}': {}".format(handler, e))
    try:
        if modname.split(".")[0] in sys.builtin_module_names:
            raise FaultError("Runtime.BuiltInModuleConflict",
                             "Cannot use built-in module {} as a handler module".format(modname))
        module = importlib.import_module(modname.replace("/", "."))
    except ImportError as e:
        raise FaultError("Runtime.ImportModuleError", "Unable to import module '{}': {}".format(modname, e))
    except SyntaxError as e:
        trace = ['  File "%s" Line %s\n    %s' % (e.filename, e.lineno, e.text)]
        raise FaultError("Runtime.UserCodeSyntaxError", "Syntax error in module '{}': {}".format(modname, e), trace)
    fn = getattr(module, fname, None)
    if fn is None:
        raise FaultError("Runtime.HandlerNotFound", "Handler '{}' missing on module '{}'".format(fname, modname))
    return fn


def _fault_of(e):
    """`(errorType, errorMessage, stackTrace)` for an exception that escaped user code."""
    if isinstance(e, FaultError):
        return e.error_type, e.message, e.stack
    return type(e).__name__, str(e), _user_stack(e.__traceback__)


def _log_error(error_type, message, stack, request_id):
    """One log record for an unhandled error, written as awslambdaric writes it to stdout: its
    lines joined with carriage returns, which Lambda (and Sluice's log store) keep as one event
    where a newline would start another, and the trace's indentation in no-break spaces. In the
    JSON log format, the error document as one JSON record instead."""
    if _json_logs():
        record = {
            "timestamp": time.strftime(_JSON_TIME_FORMAT, time.gmtime()),
            "level": "ERROR",
            "errorMessage": message,
            "errorType": error_type,
            "requestId": request_id,
            "stackTrace": stack,
        }
        sys.stdout.write(_answer_dumps()(record) + "\n")
        return
    description = "[ERROR]"
    if error_type:
        description += " " + error_type
    if message:
        if error_type:
            description += ":"
        description += " " + message
    lines = [description, "Traceback (most recent call last):"]
    for element in stack:
        if element == "":
            lines.append("")
            continue
        for line in element.splitlines():
            stripped = line.lstrip(" ")
            lines.append("\u00a0" * (len(line) - len(stripped)) + stripped)
    sys.stdout.write("\r".join(lines) + "\n")


def _answer_dumps():
    """JSON for answers, as awslambdaric's marshaller writes it: python3.12 and later keep
    non-ASCII characters, earlier runtimes escape them (\\uXXXX)."""
    version = os.environ.get("AWS_EXECUTION_ENV", "").rpartition("python3.")[2]
    ascii_only = not (version.isdigit() and int(version) >= 12)
    fast = json.JSONEncoder(ensure_ascii=ascii_only).encode

    def dumps(value):
        value = _asdicts(value)
        try:
            return fast(value)
        except TypeError:
            return _dumps_with_decimals(value, ascii_only)

    return dumps


_SCALARS = (str, int, float, bool, type(None))


def _asdicts(value):
    """awslambdaric's marshaller (simplejson, `namedtuple_as_object` on) writes an object with
    an `_asdict()` method, a namedtuple above all, as the JSON object of its fields; the standard
    library writes a namedtuple as an array. Gives `value` with each such object replaced by its
    dict, `value` itself (no copy) when there is none."""
    try:
        return _asdicts_in(value)
    except RecursionError:
        # A cycle: the encoder reports it.
        return value


def _asdicts_in(value):
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is dict or kind is list or kind is tuple:
        # Copied (a tuple as the list JSON writes anyway) only once an item is replaced.
        copy = None
        for key, item in value.items() if kind is dict else enumerate(value):
            if type(item) in _SCALARS:
                continue
            replaced = _asdicts_in(item)
            if replaced is not item:
                if copy is None:
                    copy = dict(value) if kind is dict else list(value)
                copy[key] = replaced
        return value if copy is None else copy
    asdict = getattr(value, "_asdict", None)
    if callable(asdict):
        try:
            fields = asdict()
        except TypeError:
            return value
        if isinstance(fields, dict):
            return _asdicts_in(fields)
    return value


def _dumps_with_decimals(value, ascii_only):
    """awslambdaric's marshaller (simplejson) writes a `Decimal` (as DynamoDB's boto3 resource
    returns numbers) as the number it spells, and a NaN one as NaN. The standard library cannot,
    so each Decimal is written as a marked string and the marks then replaced by the numbers."""
    import decimal
    import re

    numbers = []
    mark = "\0sluice-decimal-%s-" % os.urandom(6).hex()

    def default(o):
        if isinstance(o, decimal.Decimal):
            numbers.append("NaN" if o.is_nan() else str(o))
            return "%s%d\0" % (mark, len(numbers) - 1)
        raise TypeError("Object of type %s is not JSON serializable" % o.__class__.__name__)

    text = json.dumps(value, ensure_ascii=ascii_only, default=default)
    if not numbers:
        return text
    # NUL is escaped in every mode, so a marked string is written as `"\u0000sluice-…-N\u0000"`.
    quoted = re.escape('"' + mark.replace("\0", "\\u0000")) + r"(\d+)\\u0000\""
    return re.sub(quoted, lambda m: numbers[int(m.group(1))], text)


# Answers below this size are posted together with the next `next`, saving a round trip; a
# larger one, which Lambda may refuse as too large, is posted alone first.
_PIPELINED_ANSWER = 1 << 20


def _exit_refused(posted):
    """awslambdaric after Lambda refuses its answer as too large (413): its native client logs
    the refusal, then the runtime exits with the exception, and Lambda replaces the sandbox."""
    status, _, body = posted
    sys.stderr.write(
        "[ERROR] [%d] LAMBDA_RUNTIME Failed to post handler success response. Http response code: %d. %s\n"
        % (int(time.time() * 1000), status, body.decode("utf-8", "replace"))
    )
    sys.stderr.flush()
    sys.exit(1)


# awslambdaric's warning before an Init error's record (a logging record, so its level applies).
_UNHANDLED_WARNING = (
    "LAMBDA_WARNING: Unhandled exception. The most likely cause is an issue in the function code. "
    "However, in rare cases, a Lambda runtime update can cause unexpected function behavior. "
    "For functions using managed runtimes, runtime updates can be triggered by a function change, "
    "or can be applied automatically. To determine if the runtime has been updated, check the "
    "runtime version in the INIT_START log entry. If this error correlates with a change in the "
    "runtime version, you may be able to mitigate this error by temporarily rolling back to the "
    "previous runtime version. For more information, see "
    "https://docs.aws.amazon.com/lambda/latest/dg/runtimes-update.html\r"
)


def _post_error(path, error_type, message, stack, request_id):
    body = _answer_dumps()({
        "errorMessage": message,
        "errorType": error_type,
        "requestId": request_id,
        "stackTrace": stack,
    }).encode()
    headers = JSON_TYPE + "Lambda-Runtime-Function-Error-Type: {}\r\n".format(error_type)
    _client.call("POST", path, body, headers)


def _context_json(headers, name, what):
    """A context header's JSON, or awslambdaric's error for it."""
    raw = headers.get(name)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except Exception as e:
        raise FaultError("Runtime.LambdaContextUnmarshalError", "Unable to parse {} JSON: {}".format(what, e))


def main():
    global _current_request_id
    task_root = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
    if task_root not in sys.path:
        sys.path.insert(0, task_root)
    # As AWS's bootstrap: the task root is a site folder, so its `.pth` files are processed, and
    # so are the layers' python folders. Sluice's layers are PYTHONPATH's folders (with its
    # `sluice build` output and its boto3, which Lambda has in site folders too).
    import site

    site.addsitedir(task_root)
    for folder in os.environ.get("PYTHONPATH", "").split(os.pathsep):
        if folder:
            site.addsitedir(os.path.abspath(folder))
    _configure_logging()
    try:
        handler = _load_handler(os.environ.get("_HANDLER", ""))
    except Exception as e:
        error_type, message, stack = _fault_of(e)
        logging.warning(_UNHANDLED_WARNING)
        _log_error(error_type, message, stack, "")
        _post_error("/init/error", error_type, message, stack, "")
        sys.exit(1)

    dumps = _answer_dumps()
    loads = json.loads
    next_event = None
    while True:
        if next_event is None:
            next_event = _client.call("GET", "/invocation/next")
        _, headers, body = next_event
        next_event = None
        request_id = headers.get("lambda-runtime-aws-request-id", "")
        _current_request_id = request_id
        _set_trace_id(headers.get("lambda-runtime-trace-id"))
        try:
            context = LambdaContext(
                request_id,
                int(headers.get("lambda-runtime-deadline-ms", "0")),
                headers.get("lambda-runtime-invoked-function-arn"),
                _context_json(headers, "lambda-runtime-client-context", "Client Context"),
                _context_json(headers, "lambda-runtime-cognito-identity", "Cognito Identity"),
                headers.get("lambda-runtime-aws-tenant-id"),
            )
            try:
                event = loads(body) if body else None
            except Exception as e:
                raise FaultError("Runtime.UnmarshalError", "Unable to unmarshal input: {}".format(e))
            result = handler(event, context)
            if isinstance(result, bytes):
                # awslambdaric answers bytes as they are, not as JSON.
                payload, content_type = result, "Content-Type: application/unknown\r\n"
            else:
                try:
                    payload, content_type = dumps(result).encode(), JSON_TYPE
                except Exception as e:
                    raise FaultError("Runtime.MarshalError", "Unable to marshal response: {}".format(e))
        except Exception as e:
            error_type, message, stack = _fault_of(e)
            _log_error(error_type, message, stack, request_id)
            _post_error("/invocation/{}/error".format(request_id), error_type, message, stack, request_id)
            continue
        post = ("POST", "/invocation/{}/response".format(request_id), payload, content_type)
        if len(payload) < _PIPELINED_ANSWER:
            posted, next_event = _client.calls([post, ("GET", "/invocation/next", b"", "")])
        else:
            # An answer Lambda may refuse: asking for the next event only once it is taken.
            (posted,) = _client.calls([post])
        if posted[0] == 413:
            _exit_refused(posted)


# Sluice's template process: Python with this bootstrap's modules imported and no user code,
# forking one sandbox per request from Sluice, so a cold start skips the interpreter's start and
# these imports (~50 ms down to a few). Each sandbox still imports the handler afresh (fresh
# globals, `Init Duration` measured from the request), and becomes what a fresh interpreter
# started with the sandbox's environment would be: its folder, environment, `sys.path`, process
# group, cgroup and output pipes. Sluice only asks this of a template started as the sandbox's
# user, with the same interpreter and the same variables that shape an interpreter's start
# (`PYTHON*` except `PYTHONPATH`, `LANG`, `LC_*`, `TZ`, `HOME`, `LD_*`).

PR_SET_PDEATHSIG = 1


def _serve_forks(fd):
    # The modules a fresh sandbox would have: what the template imports beyond them is dropped
    # in each sandbox, so the handler's `import socket` finds what a fresh interpreter's would
    # (the standard module, or a `socket.py` of its own that shadows it).
    fresh_modules = set(sys.modules)
    import ctypes
    import signal
    import socket

    libc = ctypes.CDLL(None, use_errno=True)
    control = socket.socket(fileno=fd)
    template = os.getpid()
    # Interpreter state the sandbox recomputes from its own environment.
    base_path = sys.path[1:]
    # What the interpreter added to its environment while starting (PEP 538's `LC_CTYPE`), as it
    # would for the sandbox: Sluice started this template with exactly the sandbox's variables
    # that an interpreter reads while starting.
    started_with = dict(os.environ)

    def reap(*_):
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            control.send(b"exit %d %d" % (pid, status))

    signal.signal(signal.SIGCHLD, reap)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(control, 1 << 20, 16)
        except OSError:
            os._exit(0)
        if not message:
            os._exit(0)  # Sluice is gone
        request = json.loads(message)
        # An exit is never told before the birth: SIGCHLD waits until the pid was sent.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
        pid = os.fork()
        if pid == 0:
            try:
                _become_sandbox(request, fds, control, libc, template, base_path, started_with)
                for name in set(sys.modules) - fresh_modules:
                    del sys.modules[name]
            except BaseException as e:  # the sandbox must never return into this loop
                try:
                    os.write(2, ("cannot become a sandbox: %r\n" % (e,)).encode())
                finally:
                    os._exit(127)
            main()
            sys.exit(0)
        try:
            # Also here, so the group exists by the time Sluice hears of the pid.
            os.setpgid(pid, request["group"])
        except OSError:
            pass
        for f in fds:
            os.close(f)
        control.send(b"pid %d %d" % (request["id"], pid))
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})


def _become_sandbox(request, fds, control, libc, template, base_path, started_with):
    import signal

    global API, HOST, PORT
    control.close()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
    # Die with the template, which dies with Sluice (as a spawned runtime dies with Sluice). The
    # template runs as the sandbox's user already: nothing here changes user, which would clear it.
    libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL))
    if os.getppid() != template:
        os._exit(1)
    stdout, stderr, *joins = fds
    os.setpgid(0, request["group"])
    for join in joins:
        os.write(join, b"0")  # "0": this process joins the sandbox's cgroup
        os.close(join)
    os.chdir(request["cwd"])
    os.dup2(stdout, 1)
    os.dup2(stderr, 2)
    os.close(stdout)
    os.close(stderr)
    env = request["env"]
    for name, value in started_with.items():
        if name != "HOME":  # the template's stand-in (Sluice's ForkServer::start)
            env.setdefault(name, value)
    os.environ.clear()
    os.environ.update(env)
    # As a fresh interpreter lays out `sys.path`: the script's folder, PYTHONPATH's folders
    # (made absolute), then the standard library and site folders.
    python_path = os.environ.get("PYTHONPATH")
    extra = [os.path.abspath(p) for p in python_path.split(os.pathsep)] if python_path else []
    sys.path[1:] = extra + base_path
    if not sys.flags.no_user_site:
        _add_user_site()
    API = os.environ["AWS_LAMBDA_RUNTIME_API"]
    HOST, _, PORT = API.rpartition(":")
    time.tzset()


def _add_user_site():
    """The user site-packages a fresh interpreter with this environment would add (processing
    their `.pth` files as this sandbox's user), where it would put them: before the system's."""
    import site

    site.USER_BASE = site.USER_SITE = None  # found again from this HOME / PYTHONUSERBASE
    user_site = site.getusersitepackages()
    if not (site.ENABLE_USER_SITE and os.path.isdir(user_site)):
        return
    before = len(sys.path)
    site.addsitedir(user_site)
    added = sys.path[before:]
    del sys.path[before:]
    system = set(site.getsitepackages())
    at = next((i for i, p in enumerate(sys.path) if p in system), len(sys.path))
    sys.path[at:at] = added


if __name__ == "__main__":
    if "_SLUICE_FORK_SERVER_FD" in os.environ:
        _serve_forks(int(os.environ.pop("_SLUICE_FORK_SERVER_FD")))
    else:
        main()
