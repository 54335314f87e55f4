// Keeps a code generation run's progress bar current; reloads the page once the run ends, so
// the page shows its outcome and the download.
(() => {
  const box = document.getElementById("code-run");
  if (!box || !box.dataset.unfinished) return;
  const bar = document.getElementById("code-run-progress");
  const text = document.getElementById("code-run-text");
  const poll = async () => {
    try {
      const response = await fetch(box.dataset.statusUrl, { headers: { Accept: "application/json" } });
      if (response.ok) {
        const run = await response.json();
        bar.value = run.created;
        text.textContent = `${run.created.toLocaleString()} of ${run.requested.toLocaleString()} codes: ${run.status_display}`;
        if (run.finished) {
          window.location.reload();
          return;
        }
      }
    } catch (error) {
      // The server may be restarting; try again at the next tick.
    }
    window.setTimeout(poll, 2000);
  };
  window.setTimeout(poll, 1000);
})();
