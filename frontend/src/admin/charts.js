// How the admin dashboard's charts look: colours read from the admin's CSS variables, so the
// charts follow the theme (django-admin-interface) and the light or dark colour scheme.

const FALLBACK = {
  text: "#333333",
  quiet: "#666666",
  grid: "#e8e8e8",
  background: "#ffffff",
  primary: "#1f4d3a",
  secondary: "#7a1421",
  darkPrimary: "#81d4fa",
  darkSecondary: "#f4a6a6",
};

// The relative luminance of a #rgb, #rrggbb or rgb() colour, 0 (black) to 1 (white).
export function luminance(colour) {
  const rgb = parseColour(colour);
  if (!rgb) return 1;
  const [r, g, b] = rgb.map((channel) => {
    const c = channel / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function parseColour(colour) {
  const value = (colour || "").trim().toLowerCase();
  let match = value.match(/^#([0-9a-f]{3})$/);
  if (match) return [...match[1]].map((digit) => parseInt(digit + digit, 16));
  match = value.match(/^#([0-9a-f]{6})/);
  if (match) return [0, 2, 4].map((at) => parseInt(match[1].slice(at, at + 2), 16));
  match = value.match(/^rgba?\(\s*(\d+)[\s,]+(\d+)[\s,]+(\d+)/);
  if (match) return match.slice(1, 4).map(Number);
  return null;
}

// The colour with an alpha channel, for fills behind lines and the lighter of two bar sets.
export function withAlpha(colour, alpha) {
  const rgb = parseColour(colour);
  return rgb ? `rgba(${rgb.join(", ")}, ${alpha})` : colour;
}

// The colours of the page as drawn: `style` is getComputedStyle(document.body).
export function themeColours(style) {
  const read = (name, fallback) => style.getPropertyValue(name).trim() || fallback;
  const background = read("--body-bg", FALLBACK.background);
  // The theme's colours are dark green and dark red: on a dark page the admin's link colour
  // and a light red keep the bars readable.
  const dark = luminance(background) < 0.2;
  return {
    dark,
    background,
    text: read("--body-fg", FALLBACK.text),
    quiet: read("--body-quiet-color", FALLBACK.quiet),
    grid: read("--hairline-color", FALLBACK.grid),
    primary: dark
      ? read("--link-fg", FALLBACK.darkPrimary)
      : read("--admin-interface-module-background-color", read("--primary", FALLBACK.primary)),
    secondary: dark
      ? FALLBACK.darkSecondary
      : read("--admin-interface-header-background-color", read("--secondary", FALLBACK.secondary)),
  };
}

const numberFormat = new Intl.NumberFormat("en-GB", { maximumFractionDigits: 1 });

export function formatValue(value, percent) {
  return percent ? `${numberFormat.format(value)}%` : numberFormat.format(value);
}

export function shorten(label, max) {
  return label.length > max ? `${label.slice(0, max - 1)}…` : label;
}

// A Chart.js configuration for one chart's data (the JSON the admin index embeds beside it).
// `open(index)` is called when a bar or point is clicked: it opens the admin list behind it.
/**
 * @param {any} data
 * @param {any} colours
 * @param {{open?: (index: number) => void, narrow?: boolean}} [options]
 * @returns {any}
 */
export function chartConfig(data, colours, { open, narrow = false } = {}) {
  const [first, second] = data.series;
  /** @type {Record<string, any>[]} */
  const datasets = [
    {
      label: first.label,
      data: first.values,
      backgroundColor: data.kind === "line" ? withAlpha(colours.primary, 0.15) : colours.primary,
      borderColor: colours.primary,
      ...(data.kind === "line"
        ? { fill: true, tension: 0.25, pointRadius: data.labels.length > 40 ? 0 : 2, borderWidth: 2 }
        : { maxBarThickness: 28 }),
      order: 1,
    },
  ];
  if (second) {
    // Drawn behind the first set, as the whole each first value is part of (sold out of all screenings).
    datasets[0].backgroundColor = colours.secondary;
    datasets[0].borderColor = colours.secondary;
    datasets[0].grouped = false;
    datasets.push({
      label: second.label,
      data: second.values,
      backgroundColor: withAlpha(colours.primary, colours.dark ? 0.35 : 0.25),
      borderColor: colours.primary,
      maxBarThickness: 28,
      grouped: false,
      order: 2,
    });
  }
  /** @type {Record<string, any>} */
  const valueAxis = {
    beginAtZero: true,
    ...(data.percent ? { max: 100 } : {}),
    ticks: {
      color: colours.quiet,
      precision: 0,
      callback: (value) => formatValue(value, data.percent),
    },
    grid: { color: colours.grid },
    border: { color: colours.grid },
  };
  const labelAxis = {
    ticks: {
      color: colours.quiet,
      autoSkip: !data.horizontal,
      maxRotation: 0,
      callback(value) {
        return shorten(this.getLabelForValue(value), narrow ? 16 : 30);
      },
    },
    grid: { display: false },
    border: { color: colours.grid },
  };
  return {
    type: data.kind,
    data: { labels: data.labels, datasets },
    options: {
      indexAxis: data.horizontal ? "y" : "x",
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "index", intersect: false, axis: data.horizontal ? "y" : "x" },
      scales: data.horizontal ? { x: valueAxis, y: labelAxis } : { x: labelAxis, y: valueAxis },
      plugins: {
        legend: {
          display: Boolean(second),
          labels: { color: colours.text, boxWidth: 14 },
        },
        tooltip: {
          callbacks: {
            label: (context) => `${context.dataset.label}: ${formatValue(context.parsed[data.horizontal ? "x" : "y"], data.percent)}`,
          },
        },
      },
      onClick: (event, elements) => {
        if (open && elements.length) open(elements[0].index);
      },
      onHover: (event, elements) => {
        if (event.native?.target) event.native.target.style.cursor = elements.length ? "pointer" : "default";
      },
    },
  };
}
