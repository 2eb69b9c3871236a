// Benchmark peer: the official Node socket.io server (4.8.4, from tests/peers/node/node_modules)
// with the subset of the test-peer contract the benchmarks use, tuned so that the server is not
// what is being measured:
//
//   flood     {count, binary, size, chunk} -> `tick` {i} (or {i, blob}) count times, then `flood-done`
//             {count}. With `chunk` the ticks are emitted `chunk` at a time, yielding to the event loop
//             (setImmediate) in between, so the server streams while the client reads; without it
//             they are emitted in one synchronous loop, like tests/peers/node/server.js.
//   inc / get-count / reset-count   a per-socket counter (get-count acks it)
//   echo      acks its arguments back
//   bin-big   {size} acks `size` bytes (byte i is i % 256; buffers are cached per size)
//   get-stats acks {clients}
//
//   node bench/server.js [--port=0] [--max-http-buffer-size=1e8] [--ping-interval=25000] [--ping-timeout=180000]
//
// Binds 127.0.0.1 only, prints "listening <port>" once ready and exits on SIGTERM or when its
// stdin closes (so a crashed bench/run.py never leaves it behind).
"use strict";

const path = require("node:path");
const http = require("node:http");
const { Server } = require(path.join(__dirname, "..", "tests", "peers", "node", "node_modules", "socket.io"));

// pingTimeout is long on purpose: a flood is written without backpressure, so up to the whole flood
// can sit in the kernel's socket buffers ahead of a ping, and a slow client (python-socketio on a busy
// machine: a few thousand events/s) would otherwise be cut off with "ping timeout" mid-measurement.
const options = { port: 0, maxHttpBufferSize: 1e8, pingInterval: 25000, pingTimeout: 180000 };
for (const arg of process.argv.slice(2)) {
  const m = /^--([a-z-]+)=(.*)$/.exec(arg);
  const key = m && m[1].replace(/-([a-z])/g, (_, c) => c.toUpperCase());
  if (!m || !(key in options) || Number.isNaN(Number(m[2]))) {
    process.stderr.write(`bench/server.js: bad argument ${arg}\n`);
    process.exit(2);
  }
  options[key] = Number(m[2]);
}

const httpServer = http.createServer();
const io = new Server(httpServer, {
  maxHttpBufferSize: options.maxHttpBufferSize,
  pingInterval: options.pingInterval,
  pingTimeout: options.pingTimeout,
  transports: ["polling", "websocket"],
  cors: { origin: "*" },
});

const patterns = new Map();
function patternBytes(n) {
  let buf = patterns.get(n);
  if (!buf) {
    buf = Buffer.alloc(n);
    for (let i = 0; i < n; i++) buf[i] = i % 256;
    if (patterns.size < 16) patterns.set(n, buf);
  }
  return buf;
}

function handle(socket, event, fn) {
  socket.on(event, (...args) => {
    const ack = typeof args[args.length - 1] === "function" ? args.pop() : null;
    const result = fn(...args);
    if (ack) ack(...(result || []));
  });
}

io.on("connection", (socket) => {
  let counter = 0;
  let flooding = false;

  handle(socket, "echo", (...args) => args);
  handle(socket, "inc", () => { counter += 1; });
  handle(socket, "get-count", () => [counter]);
  handle(socket, "reset-count", () => { counter = 0; });
  handle(socket, "bin-big", (opts = {}) => [patternBytes(opts.size || 0)]);
  handle(socket, "get-stats", () => [{ clients: io.engine.clientsCount }]);

  handle(socket, "flood", (opts = {}) => {
    const count = Math.max(0, Math.min(opts.count || 0, 10000000));
    const size = opts.size === undefined ? 16 : opts.size;
    const blob = opts.binary ? patternBytes(size) : null;
    const chunk = opts.chunk > 0 ? opts.chunk : count;
    if (flooding) return [-1];
    flooding = true;
    let i = 0;
    const step = () => {
      if (!socket.connected) { flooding = false; return; }
      const end = Math.min(count, i + chunk);
      for (; i < end; i++) socket.emit("tick", blob ? { i, blob } : { i });
      if (i < count) setImmediate(step);
      else { flooding = false; socket.emit("flood-done", { count }); }
    };
    step();
    return [count];
  });
});

function shutdown() {
  io.close();
  process.exit(0);
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
process.stdin.on("end", shutdown);
process.stdin.on("close", shutdown);
process.stdin.on("error", shutdown);
process.stdin.resume();

httpServer.on("error", (err) => {
  process.stderr.write(`bench/server.js: ${err.stack || err}\n`);
  process.exit(1);
});
// A large backlog: the 1,000-clients scenario opens all its connections at once.
httpServer.listen({ port: options.port, host: "127.0.0.1", backlog: 4096 }, () => {
  process.stdout.write(`listening ${httpServer.address().port}\n`);
});
