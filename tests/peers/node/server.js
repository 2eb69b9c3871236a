// The official Node socket.io server (4.8.4), used as a test peer by sio_notebook's test-suite.
//
//   node server.js [--port=0] [--ping-interval=25000] [--ping-timeout=20000]
//                  [--max-http-buffer-size=1e6] [--recovery] [--parser=msgpack]
//                  [--transports=polling,websocket]
//
// Binds 127.0.0.1, prints exactly one line "listening <port>" once ready, and exits on SIGTERM
// or when its stdin closes (so a crashed test runner never leaves it behind).
// tests/peers/python_server.py implements the same contract with python-socketio; see
// tests/peers/launcher.py for the Python side and tests/conftest.py for the fixtures.
"use strict";

const http = require("node:http");
const { Server } = require("socket.io");

// ---------------------------------------------------------------------------- options
const options = {
  port: 0,
  pingInterval: 25000,
  pingTimeout: 20000,
  maxHttpBufferSize: 1e6,
  recovery: false,
  parser: "default",
  transports: ["polling", "websocket"],
};
for (const arg of process.argv.slice(2)) {
  const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
  const key = m && m[1].replace(/-([a-z])/g, (_, c) => c.toUpperCase());
  if (!m || !(key in options)) {
    process.stderr.write(`server.js: unknown argument ${arg}\n`);
    process.exit(2);
  }
  const value = m[2];
  if (key === "recovery") options.recovery = value === undefined || value === "true";
  else if (key === "transports") options.transports = value.split(",").filter(Boolean);
  else if (key === "parser") options.parser = value;
  else options[key] = Number(value);
  if (typeof options[key] === "number" && Number.isNaN(options[key])) {
    process.stderr.write(`server.js: ${arg} is not a number\n`);
    process.exit(2);
  }
}
if (!["default", "msgpack"].includes(options.parser)) {
  process.stderr.write(`server.js: unknown parser ${options.parser}\n`);
  process.exit(2);
}

const serverOptions = {
  pingInterval: options.pingInterval,
  pingTimeout: options.pingTimeout,
  maxHttpBufferSize: options.maxHttpBufferSize,
  transports: options.transports,
  cors: { origin: "*" },
};
if (options.recovery) {
  serverOptions.connectionStateRecovery = { maxDisconnectionDuration: 120000, skipMiddlewares: true };
}
if (options.parser === "msgpack") serverOptions.parser = require("socket.io-msgpack-parser");

const httpServer = http.createServer();
const io = new Server(httpServer, serverOptions);

// ---------------------------------------------------------------------------- helpers
// Splits the ack callback (present when the client sent an ack id) off the event arguments.
function splitAck(args) {
  const ack = typeof args[args.length - 1] === "function" ? args.pop() : null;
  return [args, ack];
}

// Registers a handler that returns the list of ack arguments (or undefined for none). When the
// client asked for an ack the result is sent back; like python-socketio, an event that has no
// reply of its own is still acked (with no arguments) so both peers behave the same.
function handle(socket, event, fn) {
  socket.on(event, async (...raw) => {
    const [args, ack] = splitAck(raw);
    const result = await fn(...args);
    if (ack && result !== null) ack(...(result || []));
  });
}

// N bytes with a recognisable pattern (byte i is i % 256), shared with python_server.py.
const patternBytes = (n) => Buffer.from(Array.from({ length: n }, (_, i) => i % 256));

// Only x- headers and user query keys go back to the client in the "handshake" event.
function handshakeInfo(socket) {
  const headers = {};
  for (const [k, v] of Object.entries(socket.handshake.headers)) if (k.startsWith("x-")) headers[k] = v;
  const query = { ...socket.handshake.query };
  for (const k of ["EIO", "transport", "t", "sid"]) delete query[k];
  return { auth: socket.handshake.auth, headers, query };
}

// ---------------------------------------------------------------------------- the contract
function onConnection(socket) {
  let counter = 0;
  socket.emit("auth", socket.handshake.auth);
  socket.emit("handshake", handshakeInfo(socket));

  socket.on("message", (...raw) => {
    const [args, ack] = splitAck(raw);
    socket.emit("message-back", ...args);
    if (ack) ack();
  });
  handle(socket, "message-with-ack", (...args) => args);
  handle(socket, "echo", (...args) => args);

  // Server -> client ack: "answer" carries every value the client acked with.
  handle(socket, "ask", (...args) => new Promise((resolve) => {
    socket.timeout(5000).emit("ask", ...args, (err, ...values) => {
      if (err) socket.emit("answer-error", err.message); // "operation has timed out"
      else socket.emit("answer", values);
      resolve();
    });
  }));

  handle(socket, "flood", (opts = {}) => {
    const count = opts.count || 0;
    const size = opts.size === undefined ? 16 : opts.size;
    for (let i = 0; i < count; i++) {
      socket.emit("tick", opts.binary ? { i, blob: patternBytes(size) } : { i });
    }
    socket.emit("flood-done", { count });
    return [count];
  });

  handle(socket, "inc", () => { counter += 1; });
  handle(socket, "get-count", () => [counter]);
  handle(socket, "reset-count", () => { counter = 0; });

  handle(socket, "big", (opts = {}) => ["x".repeat(opts.size || 0)]);
  handle(socket, "bin-big", (opts = {}) => [patternBytes(opts.size || 0)]);
  handle(socket, "utf8", () => ["てすと€😀"]);

  // 41 for this namespace only; the Engine.IO connection stays open.
  handle(socket, "server-disconnect", () => { socket.disconnect(); return null; });
  // 41 for every namespace of this client, then the Engine.IO connection is closed.
  handle(socket, "server-disconnect-all", () => { socket.disconnect(true); return null; });
  // Closes the Engine.IO connection without any Socket.IO DISCONNECT: over websocket the WS is
  // simply closed (no "1" frame); over polling the pending GET is answered with "1".
  handle(socket, "kill-transport", () => { socket.conn.close(); return null; });

  handle(socket, "get-id", () => [socket.id]);
  handle(socket, "get-recovered", () => [socket.recovered]);
  handle(socket, "get-stats", () => [{ clients: io.engine.clientsCount }]);

  // Broadcast to the whole namespace later (used to test missed events with recovery).
  handle(socket, "broadcast-later", (opts = {}) => {
    const nsp = socket.nsp;
    setTimeout(() => {
      for (let i = 0; i < (opts.count || 1); i++) nsp.emit(opts.event || "later", { i });
    }, opts.delay || 0);
  });

  // Answered by another event, not an ack: "subscribed" {id, topic} after `delay` ms, or
  // never with `drop` (request/reply latency pairing, nb.latency(..., reply=, match=)).
  socket.on("subscribe", (opts = {}) => {
    if (opts.drop) return;
    setTimeout(() => socket.emit("subscribed", { id: opts.id, topic: opts.topic }), opts.delay || 0);
  });
}

// "/" and "/custom"; "/private" behind a middleware; dynamic "/dyn-<word>" namespaces.
// Any other namespace gets 44/<nsp>,{"message":"Invalid namespace"} from socket.io itself.
io.of("/private").use((socket, next) => {
  const auth = socket.handshake.auth || {};
  if (auth.token === "good") return next();
  const err = new Error("not authorized");
  err.data = { reason: "bad token" };
  next(err);
});
for (const nsp of [io.of("/"), io.of("/custom"), io.of("/private"), io.of(/^\/dyn-\w+$/)]) {
  nsp.on("connection", onConnection);
}

// ---------------------------------------------------------------------------- lifecycle
function shutdown() {
  io.close();
  process.exit(0);
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
// The launcher gives us a pipe as stdin: when it closes (the test runner died) we exit too.
process.stdin.on("end", shutdown);
process.stdin.on("close", shutdown);
process.stdin.on("error", shutdown);
process.stdin.resume();

httpServer.on("error", (err) => {
  process.stderr.write(`server.js: ${err.stack || err}\n`);
  process.exit(1);
});
httpServer.listen(options.port, "127.0.0.1", () => {
  process.stdout.write(`listening ${httpServer.address().port}\n`);
});
