// The reference JS client (socket.io-client 4.8.4) against sio_notebook's mock server.
//
//   node client.js '{"url": "http://127.0.0.1:PORT", "namespace": "/", "until": "flood-done",
//                    "calls": [{"event": "echo", "args": [{"x": 1}], "timeout": 2000}],
//                    "transports": ["polling", "websocket"]}'
//
// Connects, records every event (onAny) until the event named "until" arrived, then makes the
// calls one after another (emit with an ack callback and a timeout), and prints one JSON line:
// {"events": [[name, ...args]], "acks": [[...ack args] or {"error": message}], "connect_error": null}.
// Bytes (Buffer / ArrayBuffer) are printed as {"$bytes": "<hex>"} so Python can compare them.
"use strict";

const { io } = require("socket.io-client");

const config = JSON.parse(process.argv[2]);
const result = { events: [], acks: [], connect_error: null };

const toJSON = (value) => {
  if (Buffer.isBuffer(value)) return { $bytes: value.toString("hex") };
  if (value instanceof ArrayBuffer) return { $bytes: Buffer.from(value).toString("hex") };
  if (Array.isArray(value)) return value.map(toJSON);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJSON(v)]));
  }
  return value;
};

// ... and {"$bytes": "<hex>"} in a call's arguments is sent as binary.
const fromJSON = (value) => {
  if (Array.isArray(value)) return value.map(fromJSON);
  if (value && typeof value === "object") {
    if (Object.keys(value).length === 1 && typeof value.$bytes === "string") return Buffer.from(value.$bytes, "hex");
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromJSON(v)]));
  }
  return value;
};

const done = (code) => {
  process.stdout.write(JSON.stringify(result) + "\n");
  socket.disconnect();
  process.exit(code);
};

const socket = io(config.url + (config.namespace || "/"), {
  transports: config.transports || ["polling", "websocket"],
  reconnection: false,
});
setTimeout(() => { result.connect_error = "the test client timed out"; done(1); }, config.deadline || 20000);

let calling = false;
const makeCalls = async () => {
  calling = true;
  for (const call of config.calls || []) {
    // emit with a callback, not emitWithAck, which resolves with the first ack argument only
    const ack = await new Promise((resolve) => {
      socket.timeout(call.timeout || 2000).emit(call.event, ...fromJSON(call.args), (err, ...values) => {
        resolve(err ? { error: err.message } : values.map(toJSON));
      });
    });
    result.acks.push(ack);
  }
  done(0);
};

socket.onAny((event, ...args) => {
  result.events.push([event, ...args.map(toJSON)]);
  if (event === config.until && !calling) makeCalls();
});
socket.on("connect_error", (err) => { result.connect_error = err.message; done(0); });
socket.on("connect", () => { if (!config.until && !calling) makeCalls(); });
