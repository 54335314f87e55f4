/**
 * Realistic API payloads, typed by the API's schema (src/api/schema.d.ts): a field the API adds,
 * drops or retypes fails `npm run lint` here before it can fail the site.
 *
 * @typedef {import("../api.js").Film} Film
 * @typedef {import("../api.js").Cinema} Cinema
 * @typedef {import("../api.js").Screening} Screening
 * @typedef {import("../api.js").Contact} Contact
 */

/**
 * @param {Partial<Film>} [overrides]
 * @returns {Film}
 */
export function film(overrides = {}) {
  return {
    slug: "elf",
    name: "Elf",
    release_date: "2003",
    genre: "Comedy",
    certificate: "PG",
    description: "Raised as an elf at the North Pole, Buddy travels to New York to find his real father.",
    running_time: 97,
    showing_from: "From Friday 4 December",
    image_1: null,
    image_2: null,
    copyright: "© 2003 New Line Productions, Inc.",
    sold_out: false,
    screenings_total: 4,
    screenings_sold_out: 1,
    run_ended: false,
    ...overrides,
  };
}

export const FILMS = [
  film(),
  film({
    slug: "the-polar-express",
    name: "The Polar Express",
    release_date: "2004",
    genre: "Animation",
    certificate: "U",
    running_time: 100,
    image_1: "https://media.example.test/films/polar-express.jpg",
    sold_out: true,
    screenings_total: 2,
    screenings_sold_out: 2,
  }),
  film({
    slug: "its-a-wonderful-life",
    name: "It's a Wonderful Life",
    release_date: "1946",
    genre: "Drama",
    certificate: "U",
    running_time: 130,
    screenings_total: 0,
    screenings_sold_out: 0,
  }),
];

/** @type {Cinema[]} */
export const CINEMAS = [
  {
    slug: "aberdeen-queens-links",
    name: "Aberdeen - Queens Links",
    address: "Queens Links Leisure Park, Links Road, Aberdeen AB24 5EN",
    lat: 57.1557,
    lng: -2.0791,
  },
  {
    slug: "edinburgh-omni-centre",
    name: "Edinburgh - Omni Centre",
    address: "Greenside Place, Edinburgh EH1 3AA",
    lat: 55.9566,
    lng: -3.1856,
  },
  {
    slug: "london-leicester-square",
    name: "London - Leicester Square",
    address: "3 Cranbourn Street, London WC2H 7AL",
    lat: 51.5111,
    lng: -0.1297,
  },
  {
    slug: "star-city",
    name: "Star City",
    address: "Watson Road, Nechells, Birmingham B7 5SA",
    lat: 52.4993,
    lng: -1.8608,
  },
  {
    slug: "manchester-printworks",
    name: "Manchester - Printworks",
    address: "27 Withy Grove, Manchester M4 2BS",
    lat: null,
    lng: null,
  },
];

/**
 * A campaign-sized list: `count` cinemas spread over Great Britain, named by town, with
 * York - Vangarde among them (late in name order) for searches to find.
 *
 * @returns {Cinema[]}
 */
export function manyCinemas(count = 98) {
  return Array.from({ length: count }, (_, i) => {
    if (i === count - 10) {
      return {
        slug: "york-vangarde",
        name: "York - Vangarde",
        address: "Vangarde Way, York YO32 9AE",
        lat: 53.99,
        lng: -1.07,
      };
    }
    const n = String(i + 1).padStart(2, "0");
    return {
      slug: `town-${n}-high-street`,
      name: `Town ${n} - High Street`,
      address: `${i + 1} High Street, Town ${n} AB${n} 1CD`,
      lat: 50.2 + (i % 10) * 0.75,
      lng: -5 + Math.floor(i / 10) * 0.6,
    };
  });
}

/**
 * A screening on sale: its cut-off an hour before its start, as the API sets it, unless overridden.
 * @param {Partial<Screening>} [overrides]
 * @returns {Screening}
 */
export function screening(overrides = {}) {
  const startsAt = Date.parse(overrides.starts_at ?? "2026-12-12T18:30:00Z");
  return {
    slug: "elf-aberdeen-queens-links-2026-12-12-18-30",
    code: "K7MQ3X",
    film: "elf",
    film_name: "Elf",
    cinema: "aberdeen-queens-links",
    cinema_name: "Aberdeen - Queens Links",
    starts_at: "2026-12-12T18:30:00Z",
    capacity: 50,
    seats_left: 42,
    sold_out: false,
    cancelled: false,
    cancellation_reason: "",
    bookings_close_at: new Date(startsAt - 60 * 60 * 1000).toISOString(),
    bookings_closed: false,
    ...overrides,
  };
}

/**
 * A page of a paginated list endpoint.
 * @template T
 * @param {T[]} results
 * @param {{next?: string | null, previous?: string | null, count?: number}} [links]
 * @returns {{count: number, next: string | null, previous: string | null, results: T[]}}
 */
export function page(results, { next = null, previous = null, count = results.length } = {}) {
  return { count, next, previous, results };
}

/**
 * The campaign contact, as /api/contact/ answers it.
 * @param {Partial<Contact>} [overrides]
 * @returns {Contact}
 */
export function contact(overrides = {}) {
  return {
    phone: "0800 123 4567",
    email: "bookings@xmasfilms.example",
    opening_hours: "Monday to Friday, 9am to 5pm",
    text: "Have your access code ready when you call.",
    booking_cutoff_minutes: 60,
    ...overrides,
  };
}
