import { describe, expect, it } from "vitest";

import { chartConfig, formatValue, luminance, shorten, themeColours } from "./charts.js";

function styleOf(variables) {
  return { getPropertyValue: (name) => variables[name] ?? "" };
}

const THEME = {
  "--body-bg": "#fff",
  "--body-fg": "#333",
  "--body-quiet-color": "#666",
  "--hairline-color": "#e8e8e8",
  "--link-fg": "#81d4fa",
  "--admin-interface-module-background-color": "#1F4D3A",
  "--admin-interface-header-background-color": "#7A1421",
};

describe("themeColours", () => {
  it("takes the theme's module and header colours on a light page", () => {
    const colours = themeColours(styleOf(THEME));
    expect(colours).toMatchObject({ dark: false, primary: "#1F4D3A", secondary: "#7A1421", text: "#333" });
  });

  it("switches to the admin's light link colour on a dark page", () => {
    const colours = themeColours(styleOf({ ...THEME, "--body-bg": "#121212", "--body-fg": "#eeeeee" }));
    expect(colours.dark).toBe(true);
    expect(colours.primary).toBe("#81d4fa");
    expect(colours.text).toBe("#eeeeee");
    expect(luminance(colours.primary)).toBeGreaterThan(0.5);
  });

  it("falls back to readable colours when the page sets none", () => {
    const colours = themeColours(styleOf({}));
    expect(colours.dark).toBe(false);
    expect(colours.primary).toMatch(/^#/);
  });
});

describe("chartConfig", () => {
  const data = {
    kind: "bar",
    horizontal: true,
    percent: true,
    labels: ["Aberdeen 01 - Queens Links Leisure Park", "York"],
    links: ["/admin/a", "/admin/b"],
    series: [{ label: "% sold", values: [80, 12.5] }],
  };

  it("draws horizontal percentage bars up to 100% in the theme's colour", () => {
    const config = chartConfig(data, themeColours(styleOf(THEME)));
    expect(config.type).toBe("bar");
    expect(config.options.indexAxis).toBe("y");
    expect(config.options.scales.x.max).toBe(100);
    expect(config.options.scales.x.ticks.callback(50)).toBe("50%");
    expect(config.data.datasets[0].backgroundColor).toBe("#1F4D3A");
    expect(config.options.plugins.legend.display).toBe(false);
  });

  it("opens the list behind the bar clicked", () => {
    const opened = [];
    const config = chartConfig(data, themeColours(styleOf(THEME)), { open: (index) => opened.push(index) });
    config.options.onClick({}, [{ index: 1 }]);
    config.options.onClick({}, []);
    expect(opened).toEqual([1]);
  });

  it("puts the sold-out bars in front of all the day's screenings", () => {
    const perDay = {
      kind: "bar",
      horizontal: false,
      percent: false,
      labels: ["Fri 4 Dec"],
      links: ["/admin/x"],
      series: [
        { label: "Sold out", values: [2] },
        { label: "Screenings", values: [9] },
      ],
    };
    const [soldOut, all] = chartConfig(perDay, themeColours(styleOf(THEME))).data.datasets;
    expect(soldOut.order).toBeLessThan(all.order);
    expect(soldOut.backgroundColor).toBe("#7A1421");
    expect(all.backgroundColor).toBe("rgba(31, 77, 58, 0.25)");
  });
});

describe("formatting", () => {
  it("writes numbers the British way and shortens long labels", () => {
    expect(formatValue(12345, false)).toBe("12,345");
    expect(formatValue(36.36, true)).toBe("36.4%");
    expect(shorten("Aberdeen 01 - Queens Links Leisure Park", 16)).toBe("Aberdeen 01 - Q…");
    expect(shorten("York", 16)).toBe("York");
  });
});
