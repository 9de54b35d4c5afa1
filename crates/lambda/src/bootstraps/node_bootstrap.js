// Sluice's Node.js runtime: speaks the Lambda Runtime API (2018-06-01) like AWS's own
// runtime, with one keep-alive connection and no dependencies.
"use strict";

const http = require("http");
const path = require("path");
const fs = require("fs");
const util = require("util");
const { pathToFileURL } = require("url");

const [HOST, PORT] = (() => {
  const api = process.env.AWS_LAMBDA_RUNTIME_API || "";
  const i = api.lastIndexOf(":");
  return [api.slice(0, i), Number(api.slice(i + 1))];
})();
const PREFIX = "/2018-06-01/runtime";

// Lambda sets _X_AMZN_TRACE_ID per invocation, and AWS's runtime does it by assigning
// process.env, whose setter calls setenv(3); glibc never frees a value setenv replaced, so each
// fresh id grew the sandbox (~150 bytes). Sluice keeps the id in JS behind the same
// process.env: reads, `in`, Object.keys and child processes see it, the C environment does not.
const TRACE_ID = "_X_AMZN_TRACE_ID";
let traceId = process.env[TRACE_ID];
process.env = new Proxy(process.env, {
  get: (env, key) => (key === TRACE_ID ? traceId : Reflect.get(env, key)),
  set: (env, key, value) => {
    if (key !== TRACE_ID) return Reflect.set(env, key, value);
    traceId = String(value);
    return true;
  },
  has: (env, key) => (key === TRACE_ID ? traceId !== undefined : Reflect.has(env, key)),
  deleteProperty: (env, key) => {
    if (key !== TRACE_ID) return Reflect.deleteProperty(env, key);
    traceId = undefined;
    return true;
  },
  ownKeys: (env) => {
    const keys = Reflect.ownKeys(env).filter((k) => k !== TRACE_ID);
    if (traceId !== undefined) keys.push(TRACE_ID);
    return keys;
  },
  getOwnPropertyDescriptor: (env, key) => {
    if (key !== TRACE_ID) return Reflect.getOwnPropertyDescriptor(env, key);
    return traceId === undefined
      ? undefined
      : { value: traceId, writable: true, enumerable: true, configurable: true };
  },
});
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
// AWS's runtime fetches and answers invocations through its native client, so code that patches
// `http` (X-Ray's captureHTTPsGlobal, Powertools Tracer by default) never sees those calls; taken
// before the handler loads, for the same reason.
const runtimeRequest = http.request;

// The AWS SDK for JavaScript v2 (`aws-sdk`, which nodejs16.x and older ship) reads no
// AWS_ENDPOINT_URL* variables (only v3 and boto3 do: aws/aws-sdk-js#3236, #3999), so it would
// call real AWS instead of the endpoint Sluice gives. Once a copy's `lib/node_loader.js` has
// built its global `AWS.config`, the variables set go there as v3 reads them: `_<SERVICE>` for
// one service, winning over the bare one for all. v2 merges AWS.config, then
// AWS.config[<identifier>], then a client's own options, so an endpoint given to a constructor
// still wins. Hooked where a module file is first evaluated: no cost per `require`, nothing done
// while v2 never loads.
const SDK_V2_LOADER = path.join("aws-sdk", "lib", "node_loader.js");
const Module = require("module");
const moduleLoad = Module.prototype.load;
Module.prototype.load = function load(filename) {
  const result = moduleLoad.apply(this, arguments);
  if (filename.endsWith(path.sep + SDK_V2_LOADER)) useEndpointsForSdkV2(this.exports);
  return result;
};

// `<SERVICE>` is the service's serviceId, upper-cased, spaces made underscores (the SDKs and
// Tools reference guide, "Identifiers for service-specific endpoints"; v3's
// getEndpointUrlConfig). v2 keys AWS.config by the identifier of its apis/metadata.json, which
// for most services is that name without underscores, lower-cased (`DYNAMODB_STREAMS` →
// `dynamodbstreams`), and for these is not: every v2 service whose class is named apart from
// its serviceId, as v2's last release (2.1693, end of support) lists them.
const SDK_V2_IDENTIFIERS = new Map([
  ["APPLICATION_DISCOVERY_SERVICE", "discovery"],
  ["COGNITO_IDENTITY_PROVIDER", "cognitoidentityserviceprovider"],
  ["COST_AND_USAGE_REPORT_SERVICE", "cur"],
  ["DATABASE_MIGRATION_SERVICE", "dms"],
  ["ELASTIC_LOAD_BALANCING", "elb"],
  ["ELASTIC_LOAD_BALANCING_V2", "elbv2"],
  ["ELASTICSEARCH_SERVICE", "es"],
  ["FORECAST", "forecastservice"],
  ["FORECASTQUERY", "forecastqueryservice"],
  ["IOT_DATA_PLANE", "iotdata"],
  ["KINESIS_VIDEO_SIGNALING", "kinesisvideosignalingchannels"],
  ["LEX_RUNTIME_SERVICE", "lexruntime"],
  ["RDS_DATA", "rdsdataservice"],
  ["SAGEMAKER_A2I_RUNTIME", "augmentedairuntime"],
  ["SFN", "stepfunctions"],
  ["TRANSCRIBE", "transcribeservice"],
]);

function useEndpointsForSdkV2(AWS) {
  const env = process.env;
  // As v3: the variables are ignored when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true.
  if (!AWS || !AWS.config || String(env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS).toLowerCase() === "true") return;
  if (env.AWS_ENDPOINT_URL) AWS.config.endpoint = env.AWS_ENDPOINT_URL;
  for (const name of Object.keys(env)) {
    const service = /^AWS_ENDPOINT_URL_(\w+)$/.exec(name);
    if (!service || !env[name]) continue;
    const id = SDK_V2_IDENTIFIERS.get(service[1]) ?? service[1].replace(/_/g, "").toLowerCase();
    AWS.config[id] = Object.assign({}, AWS.config[id], { endpoint: env[name] });
  }
}

// A bundled v2 (esbuild inlines `aws-sdk` unless it is External, as in SAM's TypeScript
// templates for nodejs16.x and older) is never loaded as a module file, so the hook above never
// sees it and its calls went to `<service>.<region>.amazonaws.com`. Such a call is moved where
// the hook would have pointed it: `AWS_ENDPOINT_URL_<SERVICE>` (the host's first label, which
// is the serviceId for the services Sluice serves: dynamodb, lambda), else `AWS_ENDPOINT_URL`.
// Only v2's own requests (its node client calls `https.request(options, cb)` with its
// `User-Agent: aws-sdk-nodejs/2.…`) to an AWS host move, and only while an endpoint is set.
const https = require("https");
const httpsRequest = https.request;
https.request = function request(options, callback) {
  const moved = typeof options === "object" && options !== null && !(options instanceof URL)
    ? sdkV2Destination(options)
    : null;
  if (!moved) return httpsRequest.apply(this, arguments);
  const target = {
    ...options,
    protocol: moved.protocol,
    host: moved.hostname,
    hostname: moved.hostname,
    port: moved.port || (moved.protocol === "https:" ? 443 : 80),
    path: moved.pathname.replace(/\/$/, "") + (options.path || "/"),
    // v2's agent is an https one; the endpoint's scheme picks the module and its agent.
    agent: undefined,
  };
  delete target.servername;
  return moved.protocol === "https:" ? httpsRequest(target, callback) : http.request(target, callback);
};

function sdkV2Destination(options) {
  const env = process.env;
  const headers = options.headers || {};
  const agentHeader = headers["User-Agent"] || headers["user-agent"] || "";
  const host = String(options.hostname || options.host || "");
  if (!String(agentHeader).startsWith("aws-sdk-nodejs/2.")) return null;
  if (!/\.amazonaws\.com(\.cn)?$/.test(host)) return null;
  if (String(env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS).toLowerCase() === "true") return null;
  const service = host.split(".")[0].replace(/-/g, "_").toUpperCase();
  const endpoint = env[`AWS_ENDPOINT_URL_${service}`] || env.AWS_ENDPOINT_URL;
  if (!endpoint) return null;
  try {
    return new URL(endpoint);
  } catch {
    return null;
  }
}

function request(method, urlPath, body, headers) {
  return new Promise((resolve, reject) => {
    const req = runtimeRequest(
      { host: HOST, port: PORT, method, path: PREFIX + urlPath, agent, headers: headers || {} },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      }
    );
    req.setNoDelay(true);
    req.on("error", reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

// Response streaming, as AWS's node runtime offers it through the `awslambda` global: a handler
// wrapped by `awslambda.streamifyResponse` gets a writable `responseStream` whose bytes go to the
// Runtime API as they are written (`Lambda-Runtime-Function-Response-Mode: streaming`, chunked);
// a failure after the stream began is reported in the trailers. The symbols are AWS's, so code
// that marks a handler itself is understood too.
const HANDLER_STREAMING = Symbol.for("aws.lambda.runtime.handler.streaming");
const STREAM_RESPONSE = "response";
const HTTP_PRELUDE_CONTENT_TYPE = "application/vnd.awslambda.http-integration-response";

// `HttpResponseStream.from(stream, {statusCode, headers, cookies})`: the HTTP metadata goes first,
// as JSON followed by 8 NUL bytes, which Function URLs read as the response's status and headers.
class HttpResponseStream {
  static from(underlyingStream, prelude) {
    underlyingStream.setContentType(HTTP_PRELUDE_CONTENT_TYPE);
    const metadata = JSON.stringify(prelude);
    underlyingStream._onBeforeFirstWrite = (write) => {
      write(metadata);
      write(new Uint8Array(8));
    };
    return underlyingStream;
  }
}

globalThis.awslambda = {
  streamifyResponse(handler) {
    handler[HANDLER_STREAMING] = STREAM_RESPONSE;
    return handler;
  },
  HttpResponseStream,
};

// The invocation's response stream: a chunked POST to the Runtime API. `done` settles when
// the Runtime API has answered (after the body ended); `fail` ends the body with error trailers.
function createResponseStream(requestId) {
  let started = false;
  const req = http.request({
    host: HOST,
    port: PORT,
    method: "POST",
    path: `${PREFIX}/invocation/${requestId}/response`,
    agent,
    headers: {
      "Lambda-Runtime-Function-Response-Mode": "streaming",
      "Transfer-Encoding": "chunked",
      Trailer: "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body",
      "Content-Type": "application/octet-stream",
    },
  });
  req.setNoDelay(true);
  const done = new Promise((resolve, reject) => {
    req.on("response", (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode));
    });
    req.on("error", reject);
  });
  done.catch(() => {});
  const write = req.write.bind(req);
  const end = req.end.bind(req);
  const beforeFirstWrite = () => {
    if (started) return;
    started = true;
    if (typeof req._onBeforeFirstWrite === "function") req._onBeforeFirstWrite((chunk) => write(chunk));
  };
  req.setContentType = (contentType) => {
    if (started) throw new Error("Cannot set content-type, too late.");
    req.setHeader("Content-Type", contentType);
  };
  req.write = (chunk, encoding, callback) => {
    if (typeof chunk !== "string" && !Buffer.isBuffer(chunk) && !(chunk instanceof Uint8Array)) {
      chunk = JSON.stringify(chunk);
    }
    beforeFirstWrite();
    return write(chunk, encoding, callback);
  };
  req.end = (chunk, encoding, callback) => {
    if (typeof chunk === "function") return req.end(undefined, undefined, chunk);
    if (typeof encoding === "function") return req.end(chunk, undefined, encoding);
    if (chunk != null) req.write(chunk, encoding);
    // A prelude is sent even when nothing else is (a bare status code).
    else beforeFirstWrite();
    return end(callback);
  };
  const fail = (doc) => {
    if (req.writableEnded) return;
    const body = JSON.stringify(doc);
    started = true;
    req.addTrailers({
      "Lambda-Runtime-Function-Error-Type": doc.errorType,
      "Lambda-Runtime-Function-Error-Body": Buffer.from(body).toString("base64"),
    });
    end();
  };
  return { stream: req, done, fail };
}

// console.* as on Lambda: `<ISO time>\t<request id>\t<LEVEL>\t<message>`.
let currentRequestId = undefined;
// How AWS's runtime (aws-lambda-ric) writes an Error inside a JSON log record: its constructor's
// name, message and stack lines, then its own enumerable fields.
const jsonErrorReplacer = (_, value) =>
  value instanceof Error
    ? Object.assign(
        {
          errorType: (value.constructor && value.constructor.name) || "UnknownError",
          errorMessage: value.message,
          stackTrace: typeof value.stack === "string" ? value.stack.split("\n") : value.stack,
        },
        value,
      )
    : value;

// A JSON log record as aws-lambda-ric writes it: one argument is the message as it is (an
// object stays an object), several are formatted, their first Error's fields added.
function jsonRecord(level, args) {
  const record = { timestamp: new Date().toISOString(), level, requestId: currentRequestId };
  if (args.length === 1) {
    record.message = args[0];
    try {
      return JSON.stringify(record, jsonErrorReplacer);
    } catch (_) {
      record.message = util.format(record.message);
      return JSON.stringify(record);
    }
  }
  record.message = util.format(...args);
  const err = args.find((a) => a instanceof Error);
  if (err) {
    record.errorType = (err.constructor && err.constructor.name) || "UnknownError";
    record.errorMessage = err.message;
    record.stackTrace = typeof err.stack === "string" ? err.stack.split("\n") : [];
  }
  return JSON.stringify(record);
}

let jsonLogs = false;

function patchConsole() {
  // AWS_LAMBDA_LOG_FORMAT=JSON (LoggingConfig.LogFormat): one JSON object per call, as Lambda's
  // Node.js runtime writes them, below INFO dropped unless AWS_LAMBDA_LOG_LEVEL says otherwise.
  const json = (process.env.AWS_LAMBDA_LOG_FORMAT || "").toUpperCase() === "JSON";
  jsonLogs = json;
  const levels = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"];
  // AWS: log levels filter only the JSON format.
  const minimum = json ? levels.indexOf((process.env.AWS_LAMBDA_LOG_LEVEL || "INFO").toUpperCase()) : 0;
  const write = (level) => (...args) => {
    if (levels.indexOf(level) < minimum) return;
    const line = json
      ? jsonRecord(level, args)
      : `${new Date().toISOString()}\t${currentRequestId}\t${level}\t${util.format(...args)}`;
    // As aws-lambda-ric writing to stdout: a record's newlines become carriage returns, so a
    // multi-line message stays one log event.
    process.stdout.write(line.replace(/\n/g, "\r") + "\n");
  };
  console.log = write("INFO");
  console.info = write("INFO");
  console.warn = write("WARN");
  console.error = write("ERROR");
  console.debug = write("DEBUG");
  console.trace = write("TRACE");
  console.fatal = write("FATAL");
}

// The runtime's own errors, as aws-lambda-ric's: a class per type (`ImportModuleError`…) whose
// prototype names it `Runtime.…`, so the name is no field of the error itself.
const runtimeErrorClasses = new Map();

function runtimeError(type, message) {
  let cls = runtimeErrorClasses.get(type);
  if (!cls) {
    const name = type.replace(/^Runtime\./, "");
    cls = { [name]: class extends Error {} }[name];
    cls.prototype.name = type;
    runtimeErrorClasses.set(type, cls);
  }
  return new cls(message);
}

// AWS's node runtime (`toRapidResponse`): the stack is `trace`, a line per entry; Python's
// runtime calls it `stackTrace`.
function errorDocument(err) {
  const isError =
    util.types.isNativeError(err) ||
    (err && typeof err.name === "string" && typeof err.message === "string" && typeof err.stack === "string" &&
      err.name && err.message && err.stack);
  if (isError) {
    return {
      errorType: err.name && err.name.replace(/\x7F/g, "%7F"),
      errorMessage: err.message && err.message.replace(/\x7F/g, "%7F"),
      trace: typeof err.stack === "string" ? err.stack.replace(/\x7F/g, "%7F").split("\n") : [],
    };
  }
  try {
    return { errorType: typeof err, errorMessage: err.toString(), trace: [] };
  } catch (_) {
    // aws-lambda-ric's answer when the value has no `toString` (null, undefined).
    return {
      errorType: "handled",
      errorMessage:
        "callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack",
    };
  }
}

// An error as aws-lambda-ric logs it: through console.error (so the log level applies), in the
// text format after `prefix` with its own enumerable fields and its stack as `stack`, in the JSON
// format as the record's message. A thrown non-Error is logged as `new Error(value)`.
function logError(prefix, err) {
  const error = err instanceof Error ? err : new Error(err);
  if (jsonLogs) return console.error(error);
  let formatted;
  try {
    formatted = JSON.stringify(error, (_, v) => {
      if (!(v instanceof Error)) return v;
      const out = Object.assign({ errorType: v.name, errorMessage: v.message, code: v.code }, v);
      if (typeof v.stack === "string") out.stack = v.stack.split("\n");
      return out;
    });
  } catch (_) {
    formatted = JSON.stringify(errorDocument(error));
  }
  console.error(prefix, `\t${formatted}`);
}

async function postError(urlPath, doc) {
  const body = JSON.stringify(doc);
  await request("POST", urlPath, body, {
    "Content-Type": "application/json",
    "Lambda-Runtime-Function-Error-Type": doc.errorType,
  });
}

// Lambda unpacks a function's layers into /opt, and code names a layer's file by that path
// (\`require("/opt/nodejs/utils")\`, \`import ... from "/opt/nodejs/config.mjs"\`). Sluice's layers
// are folders: the server lists them, newest first, in _SLUICE_OPT_LAYERS, taken out of the
// environment here so the handler never sees it. An /opt path that does not resolve as written
// is tried in each layer folder in turn, the newest first, as the newest layer's file is the one
// /opt holds. The ES module hook below does the same for \`import\`.
const OPT_LAYERS = (process.env._SLUICE_OPT_LAYERS || "").split(":").filter(Boolean);
delete process.env._SLUICE_OPT_LAYERS;
const OPT_PREFIX = /^\/opt(?=\/|$)/;
if (OPT_LAYERS.length > 0) {
  const resolveFilename = Module._resolveFilename;
  Module._resolveFilename = function (request, parent, isMain, options) {
    try {
      return resolveFilename.call(this, request, parent, isMain, options);
    } catch (error) {
      if (!error || error.code !== "MODULE_NOT_FOUND" || typeof request !== "string" || !OPT_PREFIX.test(request)) {
        throw error;
      }
      for (const layer of OPT_LAYERS) {
        try {
          return resolveFilename.call(this, request.replace(OPT_PREFIX, () => layer), parent, isMain, options);
        } catch (_) {}
      }
      throw error;
    }
  };
}

// ES modules ignore NODE_PATH, where Sluice puts what Lambda's runtime provides (the SDK) and
// what `sluice build` installed; on Lambda both resolve from an ES module. A resolve hook, on
// the handler's first `import`, tries a bare specifier that Node cannot find from each NODE_PATH
// folder in turn, as `require` does. Hooks need Node 18.19 / 20.6; older ones go without.
const NODE_PATH_HOOK = `
import { pathToFileURL } from "node:url";
let folders = [];
let layers = [];
export async function initialize(data) {
  folders = (data && data.folders) || [];
  layers = (data && data.layers) || [];
}
export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    const opt = /^(?:file:\\/\\/)?\\/opt(\\/.*)?$/.exec(specifier);
    if (opt && layers.length > 0) {
      for (const layer of layers) {
        try {
          return await nextResolve(pathToFileURL(layer + (opt[1] || "")).href, context);
        } catch (_) {}
      }
      throw error;
    }
    const bare = !/^[./]/.test(specifier) && !specifier.includes(":");
    if (!error || error.code !== "ERR_MODULE_NOT_FOUND" || !bare) throw error;
    for (const folder of folders) {
      const parentURL = pathToFileURL(folder + "/sluice-node-path.mjs").href;
      try {
        return await nextResolve(specifier, { ...context, parentURL });
      } catch (_) {}
    }
    throw error;
  }
}`;
let nodePathHooked = false;

function importFromNodePath() {
  if (nodePathHooked) return;
  nodePathHooked = true;
  // The task root ends NODE_PATH for `require`, as on Lambda; resolving from it finds nothing
  // an ES module's own resolution has not tried, so it takes no hook.
  const taskRoot = path.resolve(process.env.LAMBDA_TASK_ROOT || ".");
  const folders = (process.env.NODE_PATH || "")
    .split(path.delimiter)
    .filter((folder) => folder && path.resolve(folder) !== taskRoot);
  const { register } = require("module");
  if ((folders.length === 0 && OPT_LAYERS.length === 0) || typeof register !== "function") return;
  register("data:text/javascript," + encodeURIComponent(NODE_PATH_HOOK), pathToFileURL(__filename), {
    data: { folders, layers: OPT_LAYERS },
  });
}

async function importModule(file) {
  importFromNodePath();
  return import(pathToFileURL(file).href);
}

// `dir/file.export[.nested]`: the module is up to the first dot of the last path segment.
// Malformed handlers get the AWS runtime's messages (its UserFunction.js): `Bad handler` for one
// without a dot in its last segment, and its own sentence for one that climbs out with `..`.
async function loadHandler(handlerString, taskRoot) {
  if (handlerString.includes("..")) {
    throw runtimeError(
      "Runtime.MalformedHandlerName",
      `'${handlerString}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`
    );
  }
  const slash = handlerString.lastIndexOf("/");
  const dot = handlerString.indexOf(".", slash + 1);
  if (dot < 0) throw runtimeError("Runtime.MalformedHandlerName", "Bad handler");
  const moduleRel = handlerString.slice(0, dot);
  const exportPath = handlerString.slice(dot + 1).split(".");
  const base = path.resolve(taskRoot, moduleRel);
  let mod;
  const candidates = [".js", ".mjs", ".cjs"].map((ext) => base + ext).filter((p) => fs.existsSync(p));
  try {
    if (candidates.length === 0) {
      // Let Node resolve it (a directory with index.js, a package), as require would.
      mod = require(base);
    } else if (candidates[0].endsWith(".mjs")) {
      mod = await importModule(candidates[0]);
    } else {
      try {
        mod = require(candidates[0]);
      } catch (e) {
        if (e && (e.code === "ERR_REQUIRE_ESM" || e.code === "ERR_REQUIRE_ASYNC_MODULE" || e instanceof SyntaxError)) {
          mod = await importModule(candidates[0]);
        } else {
          throw e;
        }
      }
    }
  } catch (e) {
    if (e instanceof SyntaxError) throw runtimeError("Runtime.UserCodeSyntaxError", `${e.name}: ${e.message}`);
    if (e && e.code === "MODULE_NOT_FOUND") {
      // Name what is missing, as Lambda does: the handler's module, or a package it requires
      // (`@aws-sdk/client-dynamodb`), with the files that required it.
      const found = /Cannot find module '([^']+)'/.exec(e.message || "");
      const missing = found && found[1] !== base ? found[1] : moduleRel;
      // Node's own stack already ends at this bootstrap (AWS's ends at its runtime's index.mjs).
      const stack = Array.isArray(e.requireStack) ? e.requireStack.slice() : [];
      if (stack[stack.length - 1] !== __filename) stack.push(__filename);
      throw runtimeError(
        "Runtime.ImportModuleError",
        `Error: Cannot find module '${missing}'\nRequire stack:\n${stack.map((f) => `- ${f}`).join("\n")}`
      );
    }
    // As aws-lambda-ric (`_loadUserApp`): any other failure while loading the module is
    // reported as itself, an ES module's missing package (`ERR_MODULE_NOT_FOUND`) included; Lambda
    // then reports Init as `Runtime.Unknown`.
    throw e;
  }
  let fn = mod;
  for (const part of exportPath) fn = fn == null ? undefined : fn[part];
  if (fn === undefined && mod && mod.default) {
    fn = mod.default;
    for (const part of exportPath) fn = fn == null ? undefined : fn[part];
  }
  // As aws-lambda-ric: nothing there (or a falsy value) is "undefined or not exported", anything
  // else that cannot be called "is not a function".
  if (!fn) {
    throw runtimeError("Runtime.HandlerNotFound", `${handlerString} is undefined or not exported`);
  }
  if (typeof fn !== "function") {
    throw runtimeError("Runtime.HandlerNotFound", `${handlerString} is not a function`);
  }
  return fn;
}

function makeContext(headers, settle) {
  const deadline = Number(headers["lambda-runtime-deadline-ms"] || 0);
  const parse = (v) => {
    try {
      return v ? JSON.parse(v) : undefined;
    } catch (_) {
      return undefined;
    }
  };
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: headers["lambda-runtime-invoked-function-arn"],
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: headers["lambda-runtime-aws-request-id"],
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    identity: parse(headers["lambda-runtime-cognito-identity"]),
    tenantId: headers["lambda-runtime-aws-tenant-id"],
    clientContext: parse(headers["lambda-runtime-client-context"]),
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    // Legacy completion methods, still honoured by Lambda.
    succeed: (result) => settle(null, result),
    // aws-lambda-ric: `fail()` with no reason (null or undefined) fails with the string "handled".
    fail: (err) => settle(err == null ? "handled" : err),
    done: (err, result) => settle(err, result),
  };
  return context;
}

// The response stream of the invocation in progress, if its handler streams.
let currentStream = null;

// What to do when the event loop empties during an invocation (aws-lambda-ric's `beforeExit`
// listener): answer it. Nothing else of this runtime keeps the loop alive meanwhile (the agent
// unrefs its idle socket).
let onEmptyEventLoop = null;
process.on("beforeExit", () => {
  const then = onEmptyEventLoop;
  onEmptyEventLoop = null;
  if (then) then();
});

async function invokeStreaming(handler, inv, event, requestId) {
  const response = createResponseStream(requestId);
  currentStream = response;
  try {
    const ret = handler(event, response.stream, makeContext(inv.headers, () => {}));
    if (!ret || typeof ret.then !== "function") {
      throw new Error("Streaming does not support non-async handlers.");
    }
    if ((await ret) !== undefined) console.warn("Streaming handlers ignore return values.");
    // As AWS's runtime: the invocation is over when the stream has ended, which a handler may
    // leave to a pipe it did not await.
    await response.done;
  } catch (e) {
    // aws-lambda-ric: logged as `new Error(e)`, answered as `toRapidResponse(e)` (for a null
    // or undefined rejection, its "handled" document).
    logError("Invoke Error", e);
    response.fail(errorDocument(e));
    await response.done.catch(() => {});
  } finally {
    currentStream = null;
  }
}

async function invokeOnce(handler, inv) {
  const requestId = inv.headers["lambda-runtime-aws-request-id"];
  currentRequestId = requestId;
  if (inv.headers["lambda-runtime-trace-id"]) process.env._X_AMZN_TRACE_ID = inv.headers["lambda-runtime-trace-id"];
  let event;
  try {
    event = inv.body.length ? JSON.parse(inv.body.toString("utf8")) : null;
  } catch (e) {
    const failure = runtimeError("Runtime.UnmarshalError", `Unable to parse event: ${e.message}`);
    const doc = { errorType: "Runtime.UnmarshalError", errorMessage: failure.message, trace: [] };
    logError("Invoke Error", failure);
    return postError(`/invocation/${requestId}/error`, doc);
  }
  if (handler[HANDLER_STREAMING] === STREAM_RESPONSE) return invokeStreaming(handler, inv, event, requestId);
  const outcome = await new Promise((resolve) => {
    let answered = false;
    const answer = (err, result) => {
      if (answered) return;
      answered = true;
      onEmptyEventLoop = null;
      resolve({ err, result });
    };
    // As aws-lambda-ric: the first of the callback, `succeed`, `fail`, `done` and the
    // handler's promise decides; the others are ignored.
    let decided = false;
    const settle = (err, result) => {
      if (decided) return;
      decided = true;
      // Logged at once, as aws-lambda-ric logs it: a non-Error's `new Error(value)` then has
      // the stack of the handler's call that failed (`callback("…")`, `context.fail()`).
      if (err != null) logError("Invoke Error", err);
      answer(err, result);
    };
    const context = makeContext(inv.headers, settle);
    // aws-lambda-ric: the callback answers a success only once the event loop is empty (what
    // the handler left pending runs, and logs, inside the invocation), unless the handler set
    // `callbackWaitsForEmptyEventLoop` to false; an error is answered at once.
    const callback = (err, result) => {
      if (decided) return;
      if (err != null || !context.callbackWaitsForEmptyEventLoop) return settle(err, result);
      decided = true;
      onEmptyEventLoop = () => setImmediate(() => answer(null, result));
    };
    // aws-lambda-ric: a handler that neither calls back nor settles a promise is answered null
    // once the event loop is empty (a synchronous handler's return value is ignored).
    onEmptyEventLoop = () => answer(null, undefined);
    try {
      const ret = handler(event, context, callback);
      if (ret && typeof ret.then === "function") {
        // aws-lambda-ric: `result.then(succeed, fail)`, so a promise rejected with null or
        // undefined fails as `fail()` does.
        ret.then((r) => settle(null, r), (e) => context.fail(e));
      }
    } catch (e) {
      // aws-lambda-ric: `callback(e)`; a thrown null or undefined is no error, the answer null.
      callback(e, undefined);
    }
  });
  if (outcome.err != null) {
    const doc = errorDocument(outcome.err);
    return postError(`/invocation/${requestId}/error`, doc);
  }
  let payload;
  try {
    payload = JSON.stringify(outcome.result === undefined ? null : outcome.result);
  } catch (e) {
    // aws-lambda-ric: a plain Error, thrown (with its stack) when posting the answer.
    const failure = new Error("Unable to stringify response body");
    const doc = errorDocument(failure);
    logError("Invoke Error", failure);
    return postError(`/invocation/${requestId}/error`, doc);
  }
  await request("POST", `/invocation/${requestId}/response`, payload, { "Content-Type": "application/json" });
}

async function main() {
  patchConsole();
  const taskRoot = process.env.LAMBDA_TASK_ROOT || process.cwd();
  let handler;
  try {
    handler = await loadHandler(process.env._HANDLER || "", taskRoot);
  } catch (e) {
    const doc = errorDocument(e);
    // AWS's runtime logs an init failure under the same heading as any uncaught exception.
    logError("Uncaught Exception", e);
    await postError("/init/error", doc);
    process.exit(1);
  }
  let currentInvocation = null;
  process.on("uncaughtException", async (err) => {
    // As on Lambda: report to the current invocation, then the sandbox dies.
    const doc = errorDocument(err);
    logError("Uncaught Exception", err);
    if (currentStream) {
      // A streamed response already holds the invocation: its trailers carry the error.
      currentStream.fail(doc);
      await currentStream.done.catch(() => {});
    } else if (currentInvocation) {
      try {
        await postError(`/invocation/${currentInvocation}/error`, doc);
      } catch (_) {
        // The supervisor sees the exit anyway.
      }
    }
    process.exit(129);
  });
  process.on("unhandledRejection", (reason) => {
    throw reason instanceof Error ? reason : new Error(String(reason));
  });
  for (;;) {
    const inv = await request("GET", "/invocation/next");
    currentInvocation = inv.headers["lambda-runtime-aws-request-id"];
    await invokeOnce(handler, inv);
    currentInvocation = null;
  }
}

main().catch((e) => {
  process.stderr.write(`sluice node runtime failed: ${e && e.stack}\n`);
  process.exit(1);
});
