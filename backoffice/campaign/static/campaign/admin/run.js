// Keeps a background run's progress bar current (code generation or spreadsheet run: the status
// JSON of both says `done` of `total`); reloads the page once the run ends, so the page shows
// its outcome and the download.
(() => {
  const box = document.getElementById("run");
  if (!box || !box.dataset.unfinished) return;
  const bar = document.getElementById("run-progress");
  const text = document.getElementById("run-text");
  const unit = box.dataset.unit;
  const poll = async () => {
    try {
      const response = await fetch(box.dataset.statusUrl, { headers: { Accept: "application/json" } });
      if (response.ok) {
        const run = await response.json();
        bar.max = Math.max(run.total, 1);
        bar.value = run.done;
        text.textContent = `${run.done.toLocaleString()} of ${run.total.toLocaleString()} ${unit}: ${run.status_display}`;
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
