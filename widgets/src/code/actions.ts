/**
 * What the code view's buttons do in the browser: copy to the clipboard, save as a file.
 * Nothing goes back to Python.
 */

/** Copies `text`; rejects with a reason when the browser refuses. */
export async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    return;
  } catch {
    // The async clipboard needs a secure context (and may be denied): try the old way.
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.cssText = "position: fixed; left: -9999px; top: 0; opacity: 0;";
  document.body.appendChild(area);
  area.select();
  const copied = document.execCommand("copy");
  area.remove();
  if (!copied) throw new Error("the browser refused to copy");
}

/** Saves `text` as a download named `filename`. */
export function downloadText(text: string, filename: string, type = "text/x-python"): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  link.click();
  // The click starts the download asynchronously: keep the URL alive a moment.
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
