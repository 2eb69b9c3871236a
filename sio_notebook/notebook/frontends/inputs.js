// The inputs of sio_notebook's views as anywidget renderers: plain DOM, one file for
// both widgets (the Python class says which one through `kind`). Every change a person
// makes is saved to the kernel at once; a button press increments a counter trait
// (`clears`, `sends`), which every frontend syncs (JupyterLab, Notebook 7, VS Code,
// Colab's ipywidgets 7, Voilà, marimo's mo.ui.anywidget).

function make(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "className") node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function save(model, name, value) {
  model.set(name, value);
  model.save_changes();
}

// Keep a text input in step with its trait without moving the caret of someone typing.
function bindText(model, input, name) {
  input.value = model.get(name);
  input.addEventListener("input", () => save(model, name, input.value));
  const fromKernel = () => {
    if (input.value !== model.get(name)) input.value = model.get(name);
  };
  model.on(`change:${name}`, fromKernel);
  return () => model.off(`change:${name}`, fromKernel);
}

function logControls(model, root) {
  root.classList.add("sio-log-controls");
  const filter = make("input", {
    type: "text",
    className: "sio-filter",
    placeholder: "filter: event, /namespace or text",
    "aria-label": "filter the log",
  });
  const pause = make("button", { type: "button", title: "freeze the rows shown (the capture goes on)" });
  const clear = make("button", { type: "button", title: "hide the rows so far (cap.clear() forgets the data)" }, "Clear view");
  const showPause = () => {
    const paused = model.get("paused");
    pause.textContent = paused ? "Resume view" : "Pause view";
    pause.setAttribute("aria-pressed", paused ? "true" : "false");
    pause.disabled = model.get("pause_disabled");
  };
  showPause();
  pause.addEventListener("click", () => save(model, "paused", !model.get("paused")));
  clear.addEventListener("click", () => save(model, "clears", model.get("clears") + 1));
  const unbind = bindText(model, filter, "filter");
  model.on("change:paused", showPause);
  model.on("change:pause_disabled", showPause);
  root.append(make("div", { className: "sio-row" }, filter, pause, clear));
  return () => {
    unbind();
    model.off("change:paused", showPause);
    model.off("change:pause_disabled", showPause);
  };
}

function emitForm(model, root) {
  root.classList.add("sio-emit-form");
  const uid = Math.random().toString(36).slice(2);
  const event = make("input", { type: "text", placeholder: "event name", "aria-label": "event" });
  const namespace = make("input", { type: "text", list: `sio-ns-${uid}`, "aria-label": "namespace" });
  const options = make("datalist", { id: `sio-ns-${uid}` });
  const payload = make("textarea", {
    placeholder: 'JSON or Python, e.g. {"text": "hello"} (empty: no argument)',
    "aria-label": "payload",
  });
  const ack = make("input", { type: "checkbox" });
  const timeout = make("input", { type: "number", className: "sio-timeout", min: "0.01", step: "any", "aria-label": "timeout (s)" });
  const send = make("button", { type: "button", className: "sio-primary" }, "Send");
  const showOptions = () => {
    options.replaceChildren(...model.get("namespaces").map((ns) => make("option", { value: ns })));
  };
  const showAck = () => {
    ack.checked = model.get("ack");
  };
  const showTimeout = () => {
    if (Number(timeout.value) !== model.get("timeout")) timeout.value = String(model.get("timeout"));
  };
  showOptions();
  showAck();
  showTimeout();
  ack.addEventListener("change", () => save(model, "ack", ack.checked));
  timeout.addEventListener("input", () => {
    const value = Number(timeout.value);
    if (timeout.value !== "" && Number.isFinite(value) && value > 0) save(model, "timeout", value);
  });
  send.addEventListener("click", () => save(model, "sends", model.get("sends") + 1));
  const unbinds = [bindText(model, event, "event"), bindText(model, namespace, "namespace"), bindText(model, payload, "payload")];
  model.on("change:namespaces", showOptions);
  model.on("change:ack", showAck);
  model.on("change:timeout", showTimeout);
  root.append(
    make("div", { className: "sio-row" }, make("label", {}, "event", event), make("label", {}, "namespace", namespace), options),
    make("label", { className: "sio-payload" }, "payload"),
    payload,
    make("div", { className: "sio-row" }, make("label", {}, ack, "wait for ack"), make("label", {}, "timeout (s)", timeout), send),
  );
  return () => {
    unbinds.forEach((unbind) => unbind());
    model.off("change:namespaces", showOptions);
    model.off("change:ack", showAck);
    model.off("change:timeout", showTimeout);
  };
}

function render({ model, el }) {
  const root = make("div", { className: "sio-inputs" });
  el.appendChild(root);
  const unbind = model.get("kind") === "form" ? emitForm(model, root) : logControls(model, root);
  // Inputs that can no longer act (their connection was closed) leave the page.
  const close = () => {
    if (model.get("closed")) root.remove();
  };
  close();
  model.on("change:closed", close);
  return () => {
    unbind();
    model.off("change:closed", close);
  };
}

export default { render };
