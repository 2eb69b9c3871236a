// Runs pytest inside Pyodide (CPython 3.14 in WebAssembly) under Node: scripts/test-pyodide.
//
//   node --experimental-wasm-stack-switching run.mjs <checkout> <site-packages dir> [pytest args...]
//
// The checkout is mounted (NODEFS) at /repo and the unpacked pure-Python wheels of pytest at
// /site. `ws` stands in for the browser's WebSocket (Node 20 has none) and Node's fetch for the
// browser's. The Node socket.io peer (tests/peers/node/server.js) runs here, on the Node side,
// because Pyodide cannot start processes: Python reaches it as `js.sioPeer` (url, restart()).
// Stack switching (JSPI) lets a sync pytest wait for an async test; the client itself needs none.
import { spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { loadPyodide } from "pyodide";
import WebSocket from "ws";

const [checkout, site, ...pytestArgs] = process.argv.slice(2);
globalThis.WebSocket = WebSocket;

class Peer {
  constructor() { this.port = 0; this.proc = null; }
  get url() { return `http://127.0.0.1:${this.port}`; }
  async start() {
    const server = path.join(checkout, "tests/peers/node/server.js");
    const proc = spawn(process.execPath, [server, `--port=${this.port}`], { stdio: ["pipe", "pipe", "inherit"] });
    this.proc = proc;
    let buffered = "";
    for await (const chunk of proc.stdout) {
      buffered += chunk;
      const m = /listening (\d+)/.exec(buffered);
      if (m) { this.port = Number(m[1]); return this.url; }
    }
    throw new Error("the Node peer exited before listening");
  }
  async stop() {
    if (!this.proc || this.proc.exitCode !== null) return;
    const exited = once(this.proc, "exit");
    this.proc.kill("SIGTERM");
    await exited;
  }
  async restart() { await this.stop(); return this.start(); }
}

const peer = new Peer();
await peer.start();
globalThis.sioPeer = peer;
let rc = 1;
try {
  const pyodide = await loadPyodide({ env: { PYTHONHASHSEED: "0" } });
  const out = (stream) => ({ write: (bytes) => { stream.write(bytes); return bytes.length; } });
  pyodide.setStdout(out(process.stdout));
  pyodide.setStderr(out(process.stderr));
  for (const [mountpoint, root] of [["/repo", checkout], ["/site", site]]) {
    pyodide.FS.mkdirTree(mountpoint);
    pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root }, mountpoint);
  }
  // A fresh interpreter for tests/sansio/test_purity.py (Pyodide cannot start a process).
  globalThis.sioFreshPython = async (code, argsJson) => {
    const fresh = await loadPyodide();
    fresh.FS.mkdirTree("/repo");
    fresh.FS.mount(fresh.FS.filesystems.NODEFS, { root: checkout }, "/repo");
    let stdout = "", stderr = "";
    fresh.setStdout({ batched: (s) => { stdout += s + "\n"; } });
    fresh.setStderr({ batched: (s) => { stderr += s + "\n"; } });
    fresh.globals.set("probe_args", fresh.toPy(JSON.parse(argsJson)));
    try {
      fresh.runPython("import sys; sys.argv = ['-c', *probe_args]");
      fresh.runPython(code);
      return { returncode: 0, stdout, stderr };
    } catch (error) {
      return { returncode: 1, stdout, stderr: stderr + String(error) };
    }
  };
  pyodide.globals.set("pytest_args", pyodide.toPy(pytestArgs));
  rc = await pyodide.runPythonAsync(`
import inspect, os, sys
sys.path[:0] = ["/site", "/repo"]
os.chdir("/repo")
import pytest
from pyodide.ffi import run_sync

class RunCoroutinesOnThePagesLoop:
    """async def tests: Pyodide's loop is always running (the page's), so pytest-asyncio's
    Runner cannot start one; run_sync (stack switching) waits for the coroutine instead."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_pyfunc_call(self, pyfuncitem):
        if not inspect.iscoroutinefunction(pyfuncitem.obj):
            return None
        args = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
        run_sync(pyfuncitem.obj(**args))
        return True

int(pytest.main(["-p", "no:cacheprovider", "-W", "ignore:Unknown config option:pytest.PytestConfigWarning", *pytest_args], plugins=[RunCoroutinesOnThePagesLoop()]))
`);
} finally {
  await peer.stop();
}
process.exit(rc);
