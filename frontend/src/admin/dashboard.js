// The admin dashboard's charts (Chart.js), drawn from the numbers the admin index embeds beside
// each chart; the same numbers are in a table for screen readers. Built by `npm run build` into
// dist-admin/, which Django collects with the admin's static files.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from "chart.js";

import { chartConfig, themeColours } from "./charts.js";

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
);

const drawn = [];

function draw() {
  const style = getComputedStyle(document.body);
  const colours = themeColours(style);
  Chart.defaults.font.family = style.fontFamily;
  Chart.defaults.color = colours.text;
  for (const figure of document.querySelectorAll(/** @type {"figure"} */ ("[data-dashboard-chart]"))) {
    const source = document.getElementById(figure.dataset.source);
    const canvas = figure.querySelector("canvas");
    if (!source || !canvas) continue;
    const data = JSON.parse(source.textContent);
    if (data.horizontal) {
      // One row per label, so ten long cinema names stay readable on a phone.
      canvas.parentElement.style.height = `${Math.max(180, data.labels.length * 30 + 50)}px`;
    }
    const narrow = figure.clientWidth < 500;
    const open = (index) => window.location.assign(data.links[index]);
    drawn.push(new Chart(canvas, chartConfig(data, colours, { open, narrow })));
  }
}

function redraw() {
  drawn.splice(0).forEach((chart) => chart.destroy());
  draw();
}

draw();
window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", redraw);
