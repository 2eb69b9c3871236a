// One worker of the test cluster: the official Node socket.io server (4.8.4) sharing rooms and
// broadcasts with its siblings through @socket.io/redis-adapter, run several times behind HAProxy
// by tests/cluster/cluster.py.
//
//   node worker.js --name=w1 --redis=redis://127.0.0.1:PORT [--port=0]
//
// Binds 127.0.0.1, prints exactly one line "listening <port>" once Redis is connected and the
// server is ready, and exits on SIGTERM or when its stdin closes (so a crashed test runner never
// leaves it behind). The events, for every namespace "/":
//   "whoami"          -> ack name: which worker the balancer sent this connection to
//   "shout", data     -> io.emit("shouted", {from: name, data}) on EVERY worker (the adapter's job);
//                        ack [name]
//   "echo", ...args   -> ack args
//   "cookies-seen"    -> ack {handshake, later}: the Cookie header of the handshake request, and the
//                        distinct Cookie headers of every later request of this Engine.IO session
//                        (polling GETs and POSTs, the WebSocket upgrade). HAProxy's `indirect` mode
//                        removes its own SERVERID before forwarding, so only the user's cookies arrive.
"use strict";

const http = require("node:http");
const { Server } = require("socket.io");
const { createAdapter } = require("@socket.io/redis-adapter");
const { createClient } = require("redis");

const options = { port: 0, name: "", redis: "" };
for (const arg of process.argv.slice(2)) {
  const m = /^--([a-z]+)=(.*)$/.exec(arg);
  if (!m || !(m[1] in options)) {
    process.stderr.write(`worker.js: unknown argument ${arg}\n`);
    process.exit(2);
  }
  options[m[1]] = m[1] === "port" ? Number(m[2]) : m[2];
}
if (!options.name || !options.redis) {
  process.stderr.write("worker.js: --name and --redis are required\n");
  process.exit(2);
}

function fail(what, err) {
  process.stderr.write(`worker.js ${options.name}: ${what}: ${err && (err.stack || err)}\n`);
  process.exit(1);
}

async function main() {
  // node-redis retries forever by default; a test cluster whose Redis is gone is over.
  const redisOptions = { url: options.redis, socket: { reconnectStrategy: false } };
  const pub = createClient(redisOptions);
  const sub = pub.duplicate();
  pub.on("error", (err) => fail("redis", err));
  sub.on("error", (err) => fail("redis", err));
  await Promise.all([pub.connect(), sub.connect()]);

  const httpServer = http.createServer();
  const io = new Server(httpServer, {
    pingInterval: 2000,
    pingTimeout: 2000,
    adapter: createAdapter(pub, sub),
  });
  const seen = new Map(); // Engine.IO sid -> Set of Cookie headers
  io.engine.on("headers", (headers, req) => {
    const sid = new URL(req.url, "http://worker").searchParams.get("sid");
    if (!sid) return;
    if (!seen.has(sid)) seen.set(sid, new Set());
    seen.get(sid).add(req.headers.cookie || "");
  });
  io.engine.on("connection", (conn) => conn.on("close", () => seen.delete(conn.id)));
  io.on("connection", (socket) => {
    socket.on("cookies-seen", (ack) => ack({
      handshake: socket.request.headers.cookie || "",
      later: [...(seen.get(socket.conn.id) || [])],
    }));
    socket.on("whoami", (ack) => ack(options.name));
    socket.on("shout", (data, ack) => {
      io.emit("shouted", { from: options.name, data });
      if (typeof ack === "function") ack(options.name);
    });
    socket.on("echo", (...args) => {
      const ack = typeof args[args.length - 1] === "function" ? args.pop() : null;
      if (ack) ack(...args);
    });
  });

  const shutdown = () => {
    io.close();
    process.exit(0);
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
  process.stdin.on("end", shutdown);
  process.stdin.on("close", shutdown);
  process.stdin.on("error", shutdown);
  process.stdin.resume();

  httpServer.on("error", (err) => fail("http", err));
  httpServer.listen(options.port, "127.0.0.1", () => {
    process.stdout.write(`listening ${httpServer.address().port}\n`);
  });
}

main().catch((err) => fail("start", err));
