// CodeView: read-only code with Copy and Download buttons. State lives in the model's traits
// (title, code, filename), so a re-rendered view shows the same thing; nothing is sent back.
function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    return navigator.clipboard.writeText(text);
  }
  // Fallback for pages served without a secure context: a hidden textarea and execCommand.
  return new Promise((resolve, reject) => {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.cssText = "position: fixed; left: -9999px; top: 0;";
    document.body.appendChild(area);
    area.select();
    const ok = document.execCommand("copy");
    area.remove();
    ok ? resolve() : reject(new Error("The browser refused to copy."));
  });
}

function render({ model, el }) {
  el.classList.add("dls-code-view");
  const bar = document.createElement("div");
  bar.className = "dls-code-bar";
  const title = document.createElement("span");
  title.className = "dls-code-title";
  const copy = document.createElement("button");
  copy.className = "dls-copy";
  copy.type = "button";
  const download = document.createElement("button");
  download.className = "dls-download";
  download.type = "button";
  download.textContent = "Download";
  const status = document.createElement("span");
  status.className = "dls-copy-status";
  status.setAttribute("role", "status");
  const pre = document.createElement("pre");
  pre.className = "dls-code";
  bar.append(title, copy, download, status);
  el.append(bar, pre);

  let timer = null;
  const draw = () => {
    title.textContent = model.get("title");
    copy.textContent = model.get("copy_label");
    pre.textContent = model.get("code");
  };
  copy.addEventListener("click", () => {
    copyText(model.get("code")).then(
      () => { status.textContent = "Copied to the clipboard."; },
      (err) => { status.textContent = `Could not copy: ${err.message}. Select the text instead.`; },
    );
    clearTimeout(timer);
    timer = setTimeout(() => { status.textContent = ""; }, 4000);
  });
  download.addEventListener("click", () => {
    const blob = new Blob([model.get("code")], { type: "text/x-python" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = model.get("filename");
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  });
  model.on("change:code", draw);
  model.on("change:title", draw);
  model.on("change:copy_label", draw);
  draw();
  return () => clearTimeout(timer);
}

export default { render };
