import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { CINEMAS, page } from "../test/fixtures.js";
import { deferred, mockApi, mockGeolocation, serverError } from "../test/mockApi.js";
import { renderAt } from "../test/render.jsx";

const names = () => screen.getAllByTestId("cinema").map((li) => within(li).getByRole("heading").textContent);

async function renderCinemas(path = "/cinemas") {
  const fetchMock = mockApi({ "/api/cinemas/": page(CINEMAS) });
  const rendered = renderAt(path);
  await screen.findAllByTestId("cinema");
  return { fetchMock, ...rendered };
}

// Near the Omni Centre in Edinburgh.
const IN_EDINBURGH = { coords: { latitude: 55.9533, longitude: -3.1883, accuracy: 50 } };

describe("Cinemas page", () => {
  it("lists every cinema by name with a link to its page", async () => {
    await renderCinemas();

    expect(screen.getByRole("heading", { level: 1, name: "Find a cinema" })).toBeInTheDocument();
    expect(names()).toEqual([
      "Aberdeen - Queens Links",
      "Edinburgh - Omni Centre",
      "London - Leicester Square",
      "Manchester - Printworks",
      "Star City",
    ]);
    expect(screen.getByRole("link", { name: "Star City" })).toHaveAttribute("href", "/cinemas/star-city");
    expect(screen.queryByText(/miles/)).not.toBeInTheDocument();
  });

  it("searches by cinema name, ignoring case", async () => {
    const { user } = await renderCinemas();

    await user.type(screen.getByRole("searchbox", { name: "Cinema name or town" }), "LEICESTER");

    expect(names()).toEqual(["London - Leicester Square"]);
    expect(screen.getByText("1 cinema matching “LEICESTER”")).toBeInTheDocument();
  });

  it("keeps the search in the address and filters without fetching the cinemas again", async () => {
    const { user, router, fetchMock } = await renderCinemas();

    await user.type(screen.getByRole("searchbox", { name: "Cinema name or town" }), "omni centre");

    expect(names()).toEqual(["Edinburgh - Omni Centre"]);
    expect(router.state.location.search).toBe("?q=omni+centre");
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });

  it("searches by town in the address", async () => {
    const { user } = await renderCinemas();

    await user.type(screen.getByRole("searchbox", { name: "Cinema name or town" }), "birmingham");

    expect(names()).toEqual(["Star City"]);
  });

  it("starts from a search in the address bar", async () => {
    await renderCinemas("/cinemas?q=edinburgh");

    expect(screen.getByRole("searchbox")).toHaveValue("edinburgh");
    expect(names()).toEqual(["Edinburgh - Omni Centre"]);
  });

  it("says when nothing matches", async () => {
    const { user } = await renderCinemas();

    await user.type(screen.getByRole("searchbox"), "Narnia");

    expect(screen.queryByTestId("cinema")).not.toBeInTheDocument();
    expect(screen.getByText("No cinemas match “Narnia”. Try another name or town.")).toBeInTheDocument();
  });

  it("sorts by distance from the visitor, cinemas without coordinates last", async () => {
    const geolocation = mockGeolocation((success) => success(IN_EDINBURGH));
    const { user } = await renderCinemas();

    await user.click(screen.getByRole("button", { name: "Near me" }));

    expect(names()).toEqual([
      "Edinburgh - Omni Centre",
      "Aberdeen - Queens Links",
      "Star City",
      "London - Leicester Square",
      "Manchester - Printworks",
    ]);
    const items = screen.getAllByTestId("cinema");
    const distance = (li) => within(li).getByText(/miles away|Distance unknown/).textContent;
    expect(distance(items[0])).toMatch(/^0\.\d miles away$/);
    expect(distance(items[3])).toMatch(/^33\d\.\d miles away$/);
    expect(distance(items[4])).toBe("Distance unknown");
    expect(screen.getByText("Nearest cinemas first.")).toBeInTheDocument();
    expect(geolocation.getCurrentPosition).toHaveBeenCalledTimes(1);

    await user.click(screen.getByRole("button", { name: "Sort by name" }));
    expect(names()[0]).toBe("Aberdeen - Queens Links");
    expect(screen.queryByText(/miles away/)).not.toBeInTheDocument();
  });

  it("keeps the search while sorting by distance", async () => {
    mockGeolocation((success) => success(IN_EDINBURGH));
    const { user } = await renderCinemas();

    await user.type(screen.getByRole("searchbox"), "e");
    await user.click(screen.getByRole("button", { name: "Near me" }));
    await user.type(screen.getByRole("searchbox"), "e");

    // "ee" is in Aberdeen, Greenside Place (Edinburgh) and Cranbourn Street (London).
    expect(names()).toEqual(["Edinburgh - Omni Centre", "Aberdeen - Queens Links", "London - Leicester Square"]);
  });

  it("shows a message while locating", async () => {
    mockGeolocation(() => {});
    const { user } = await renderCinemas();

    await user.click(screen.getByRole("button", { name: "Near me" }));

    expect(screen.getByText("Finding your location…")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Near me" })).toBeDisabled();
  });

  it("explains when location permission is denied", async () => {
    mockGeolocation((success, failure) => failure({ code: 1, message: "User denied Geolocation" }));
    const { user } = await renderCinemas();

    await user.click(screen.getByRole("button", { name: "Near me" }));

    expect(screen.getByRole("alert")).toHaveTextContent("You didn't allow this site to use your location");
    expect(names()[0]).toBe("Aberdeen - Queens Links");
    expect(screen.queryByText(/miles away/)).not.toBeInTheDocument();
  });

  it("explains when the position is unavailable", async () => {
    mockGeolocation((success, failure) => failure({ code: 2, message: "Position unavailable" }));
    const { user } = await renderCinemas();

    await user.click(screen.getByRole("button", { name: "Near me" }));

    expect(screen.getByRole("alert")).toHaveTextContent("Your location isn't available right now.");
  });

  it("explains when the browser has no geolocation", async () => {
    const { user } = await renderCinemas();

    await user.click(screen.getByRole("button", { name: "Near me" }));

    expect(screen.getByRole("alert")).toHaveTextContent("Your browser can't share your location.");
  });

  it("shows loading, then an error with Try again that fetches again", async () => {
    const first = deferred();
    let calls = 0;
    const fetchMock = mockApi({
      "/api/cinemas/": () => (++calls === 1 ? first.promise : page(CINEMAS)),
    });
    const { user } = renderAt("/cinemas");

    expect(screen.getByText("Loading cinemas…")).toBeInTheDocument();
    first.resolve(serverError());

    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Sorry, we couldn't load the cinemas.");
    await user.click(within(alert).getByRole("button", { name: "Try again" }));

    expect(await screen.findAllByTestId("cinema")).toHaveLength(5);
    expect(fetchMock).toHaveBeenCalledTimes(2);
  });

  it("says when no cinemas take part", async () => {
    mockApi({ "/api/cinemas/": page([]) });
    renderAt("/cinemas");

    expect(await screen.findByText(/No cinemas are taking part yet/)).toBeInTheDocument();
  });
});
