// A view's HTML, replaced whenever the kernel sends a new `html` value (at most a few
// times a second: the Python side throttles). The HTML is the same the plain outputs
// carry, built by sio_notebook's renderers from escaped text.
function render({ model, el }) {
  const box = document.createElement("div");
  box.className = "sio-live-html";
  const show = () => {
    box.innerHTML = model.get("html");
  };
  show();
  el.appendChild(box);
  model.on("change:html", show);
  return () => model.off("change:html", show);
}
export default { render };
