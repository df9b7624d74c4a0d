/**
 * A line chart as a PNG, with no dependency but node:zlib: an RGB canvas,
 * thick and dashed lines, square markers, a 5×7 bitmap font, and a minimal
 * PNG encoder (IHDR, one IDAT, IEND, CRC-32).
 *
 * Its command line (the chart of a results.json) is chart-cli.ts.
 */
import { deflateSync } from "node:zlib";

type RGB = [number, number, number];

// ---- font: 7 rows of 5 columns per glyph ---------------------------------
const GLYPHS: Record<string, string> = {
  A: ".###. #...# #...# ##### #...# #...# #...#", B: "####. #...# #...# ####. #...# #...# ####.",
  C: ".###. #...# #.... #.... #.... #...# .###.", D: "####. #...# #...# #...# #...# #...# ####.",
  E: "##### #.... #.... ####. #.... #.... #####", F: "##### #.... #.... ####. #.... #.... #....",
  G: ".###. #...# #.... #.### #...# #...# .####", H: "#...# #...# #...# ##### #...# #...# #...#",
  I: ".###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.", J: "..### ...#. ...#. ...#. ...#. #..#. .##..",
  K: "#...# #..#. #.#.. ##... #.#.. #..#. #...#", L: "#.... #.... #.... #.... #.... #.... #####",
  M: "#...# ##.## #.#.# #.#.# #...# #...# #...#", N: "#...# #...# ##..# #.#.# #..## #...# #...#",
  O: ".###. #...# #...# #...# #...# #...# .###.", P: "####. #...# #...# ####. #.... #.... #....",
  Q: ".###. #...# #...# #...# #.#.# #..#. .##.#", R: "####. #...# #...# ####. #.#.. #..#. #...#",
  S: ".#### #.... #.... .###. ....# ....# ####.", T: "##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..",
  U: "#...# #...# #...# #...# #...# #...# .###.", V: "#...# #...# #...# #...# #...# .#.#. ..#..",
  W: "#...# #...# #...# #.#.# #.#.# #.#.# .#.#.", X: "#...# #...# .#.#. ..#.. .#.#. #...# #...#",
  Y: "#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..", Z: "##### ....# ...#. ..#.. .#... #.... #####",
  a: "..... ..... .###. ....# .#### #...# .####", b: "#.... #.... #.##. ##..# #...# #...# ####.",
  c: "..... ..... .###. #.... #.... #...# .###.", d: "....# ....# .##.# #..## #...# #...# .####",
  e: "..... ..... .###. #...# ##### #.... .###.", f: "..##. .#..# .#... ###.. .#... .#... .#...",
  g: "..... .#### #...# #...# .#### ....# .###.", h: "#.... #.... #.##. ##..# #...# #...# #...#",
  i: "..#.. ..... .##.. ..#.. ..#.. ..#.. .###.", j: "...#. ..... ..##. ...#. ...#. #..#. .##..",
  k: "#.... #.... #..#. #.#.. ##... #.#.. #..#.", l: ".##.. ..#.. ..#.. ..#.. ..#.. ..#.. .###.",
  m: "..... ..... ##.#. #.#.# #.#.# #...# #...#", n: "..... ..... #.##. ##..# #...# #...# #...#",
  o: "..... ..... .###. #...# #...# #...# .###.", p: "..... ..... ####. #...# ####. #.... #....",
  q: "..... ..... .##.# #..## .#### ....# ....#", r: "..... ..... #.##. ##..# #.... #.... #....",
  s: "..... ..... .###. #.... .###. ....# ####.", t: ".#... .#... ###.. .#... .#... .#..# ..##.",
  u: "..... ..... #...# #...# #...# #..## .##.#", v: "..... ..... #...# #...# #...# .#.#. ..#..",
  w: "..... ..... #...# #...# #.#.# #.#.# .#.#.", x: "..... ..... #...# .#.#. ..#.. .#.#. #...#",
  y: "..... ..... #...# #...# .#### ....# .###.", z: "..... ..... ##### ...#. ..#.. .#... #####",
  "0": ".###. #...# #..## #.#.# ##..# #...# .###.", "1": "..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.",
  "2": ".###. #...# ....# ...#. ..#.. .#... #####", "3": "##### ...#. ..#.. ...#. ....# #...# .###.",
  "4": "...#. ..##. .#.#. #..#. ##### ...#. ...#.", "5": "##### #.... ####. ....# ....# #...# .###.",
  "6": "..##. .#... #.... ####. #...# #...# .###.", "7": "##### ....# ...#. ..#.. .#... .#... .#...",
  "8": ".###. #...# #...# .###. #...# #...# .###.", "9": ".###. #...# #...# .#### ....# ...#. .##..",
  " ": "..... ..... ..... ..... ..... ..... .....", ".": "..... ..... ..... ..... ..... .##.. .##..",
  ",": "..... ..... ..... ..... .##.. ..#.. .#...", ":": "..... .##.. .##.. ..... .##.. .##.. .....",
  "(": "...#. ..#.. .#... .#... .#... ..#.. ...#.", ")": ".#... ..#.. ...#. ...#. ...#. ..#.. .#...",
  "-": "..... ..... ..... ##### ..... ..... .....", "+": "..... ..#.. ..#.. ##### ..#.. ..#.. .....",
  "/": "..... ....# ...#. ..#.. .#... #.... .....", "=": "..... ..... ##### ..... ##### ..... .....",
  "×": "..... #...# .#.#. ..#.. .#.#. #...# .....", "%": "##... ##..# ...#. ..#.. .#... #..## ...##",
  "<": "...#. ..#.. .#... #.... .#... ..#.. ...#.", ">": ".#... ..#.. ...#. ....# ...#. ..#.. .#...",
  _: "..... ..... ..... ..... ..... ..... #####", "'": "..#.. ..#.. .#... ..... ..... ..... .....",
  "#": ".#.#. .#.#. ##### .#.#. ##### .#.#. .#.#.", "≥": ".#... ..#.. ...#. ..#.. .#... ..... #####",
};

// ---- canvas ----------------------------------------------------------------
export class Canvas {
  readonly pixels: Buffer;

  constructor(
    readonly width: number,
    readonly height: number,
    background: RGB = [255, 255, 255],
  ) {
    this.pixels = Buffer.alloc(width * height * 3);
    for (let i = 0; i < width * height; i++) this.pixels.set(background, i * 3);
  }

  set(x: number, y: number, c: RGB): void {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    this.pixels.set(c, (y * this.width + x) * 3);
  }

  rect(x: number, y: number, w: number, h: number, c: RGB): void {
    for (let j = 0; j < h; j++) for (let i = 0; i < w; i++) this.set(x + i, y + j, c);
  }

  /** A line `thickness` px wide; `dash` = [on, off] in px for a dashed one. */
  line(x0: number, y0: number, x1: number, y1: number, c: RGB, thickness = 1, dash?: [number, number]): void {
    const length = Math.hypot(x1 - x0, y1 - y0);
    const steps = Math.max(1, Math.ceil(length * 2));
    const r = (thickness - 1) / 2;
    for (let s = 0; s <= steps; s++) {
      const d = (s / steps) * length;
      if (dash && d % (dash[0] + dash[1]) >= dash[0]) continue;
      const x = x0 + ((x1 - x0) * s) / steps;
      const y = y0 + ((y1 - y0) * s) / steps;
      for (let j = -Math.ceil(r); j <= Math.ceil(r); j++)
        for (let i = -Math.ceil(r); i <= Math.ceil(r); i++) if (i * i + j * j <= r * r + 0.5) this.set(x + i, y + j, c);
    }
  }

  textWidth(text: string, scale = 2): number {
    return [...text].length * 6 * scale - scale;
  }

  /** Text with its top-left at (x, y); `align` moves the anchor. */
  text(x: number, y: number, text: string, c: RGB, scale = 2, align: "left" | "center" | "right" = "left"): void {
    const w = this.textWidth(text, scale);
    let cx = align === "left" ? x : align === "center" ? x - w / 2 : x - w;
    for (const ch of text) {
      const glyph = GLYPHS[ch] ?? GLYPHS[ch.toUpperCase()] ?? GLYPHS["#"];
      glyph.split(" ").forEach((row, j) => {
        for (let i = 0; i < 5; i++) if (row[i] === "#") this.rect(Math.round(cx) + i * scale, Math.round(y) + j * scale, scale, scale, c);
      });
      cx += 6 * scale;
    }
  }

  /** Text rotated 90° counter-clockwise, centred on (x, y) (for a y-axis title). */
  textVertical(x: number, y: number, text: string, c: RGB, scale = 2): void {
    const w = this.textWidth(text, scale);
    let cy = y + w / 2;
    for (const ch of text) {
      const glyph = GLYPHS[ch] ?? GLYPHS[ch.toUpperCase()] ?? GLYPHS["#"];
      glyph.split(" ").forEach((row, j) => {
        for (let i = 0; i < 5; i++) if (row[i] === "#") this.rect(Math.round(x) + j * scale, Math.round(cy) - (i + 1) * scale, scale, scale, c);
      });
      cy -= 6 * scale;
    }
  }

  png(): Buffer {
    const raw = Buffer.alloc((this.width * 3 + 1) * this.height);
    for (let y = 0; y < this.height; y++) {
      raw[y * (this.width * 3 + 1)] = 0; // filter: none
      this.pixels.copy(raw, y * (this.width * 3 + 1) + 1, y * this.width * 3, (y + 1) * this.width * 3);
    }
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(this.width, 0);
    ihdr.writeUInt32BE(this.height, 4);
    ihdr.set([8, 2, 0, 0, 0], 8); // 8 bits, RGB, deflate, no filter method, no interlace
    return Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk("IHDR", ihdr),
      chunk("IDAT", deflateSync(raw, { level: 9 })),
      chunk("IEND", Buffer.alloc(0)),
    ]);
  }
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const byte of data) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "ascii");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

// ---- the chart -------------------------------------------------------------
export interface Series {
  label: string;
  color: RGB;
  dashed?: boolean;
  /** [x, y] points; y may be missing for an x. */
  points: [number, number][];
}

export interface ChartSpec {
  title: string;
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Tick labels for the x values (e.g. "5×4"). */
  xTickLabels?: Map<number, string>;
}

function niceStep(max: number, ticks: number): number {
  const raw = max / ticks;
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
}

export function drawChart(spec: ChartSpec, width = 1120, height = 620): Buffer {
  const c = new Canvas(width, height);
  const ink: RGB = [30, 30, 30];
  const grid: RGB = [225, 225, 225];
  const left = 90, right = 420, top = 78, bottom = 92;
  const pw = width - left - right, ph = height - top - bottom;
  const xs = spec.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = spec.series.flatMap((s) => s.points.map((p) => p[1]));
  const xMax = Math.max(...xs, 1) * 1.05;
  const yStep = niceStep(Math.max(...ys, 1), 6);
  const yMax = Math.ceil((Math.max(...ys, 1) * 1.04) / yStep) * yStep;
  const X = (x: number) => left + (x / xMax) * pw;
  const Y = (y: number) => top + ph - (y / yMax) * ph;

  c.text(left, 18, spec.title, ink, 2);
  if (spec.subtitle) c.text(left, 44, spec.subtitle, [90, 90, 90], 2);
  for (let y = 0; y <= yMax + 1e-9; y += yStep) {
    c.line(left, Y(y), left + pw, Y(y), grid);
    c.text(left - 10, Y(y) - 7, Number.isInteger(y) ? String(y) : y.toFixed(1), ink, 2, "right");
  }
  const xTicks = spec.xTickLabels ?? new Map([...new Set(xs)].map((x) => [x, String(x)]));
  for (const [x, label] of xTicks) {
    c.line(X(x), top, X(x), top + ph, grid);
    c.line(X(x), top + ph, X(x), top + ph + 6, ink, 2);
    c.text(X(x), top + ph + 12, label, ink, 2, "center");
  }
  c.line(left, top, left, top + ph, ink, 2);
  c.line(left, top + ph, left + pw, top + ph, ink, 2);
  c.text(left + pw / 2, height - 34, spec.xLabel, ink, 2, "center");
  c.textVertical(22, top + ph / 2, spec.yLabel, ink, 2);

  const ends: { x: number; y: number; text: string; color: RGB }[] = [];
  for (const s of spec.series) {
    const pts = [...s.points].sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < pts.length; i++) c.line(X(pts[i - 1][0]), Y(pts[i - 1][1]), X(pts[i][0]), Y(pts[i][1]), s.color, 3, s.dashed ? [10, 7] : undefined);
    for (const [x, y] of pts) c.rect(X(x) - 4, Y(y) - 4, 9, 9, s.color);
    const last = pts[pts.length - 1];
    if (last) ends.push({ x: X(last[0]) + 10, y: Y(last[1]) - 7, text: last[1] >= 100 ? last[1].toFixed(0) : last[1].toFixed(1), color: s.color });
  }
  // Value labels at the line ends, pushed apart so that none overlaps another.
  ends.sort((a, b) => a.y - b.y);
  for (let i = 1; i < ends.length; i++) if (ends[i].y - ends[i - 1].y < 17) ends[i].y = ends[i - 1].y + 17;
  for (const e of ends) c.text(e.x, e.y, e.text, e.color, 2);
  // legend
  let ly = top + 4;
  const lx = left + pw + 70;
  for (const s of spec.series) {
    c.line(lx, ly + 7, lx + 28, ly + 7, s.color, 3, s.dashed ? [8, 5] : undefined);
    c.rect(lx + 10, ly + 3, 9, 9, s.color);
    const words = s.label.split(" ");
    let line = "";
    for (const w of words) {
      if (line && c.textWidth(`${line} ${w}`) > width - lx - 44) {
        c.text(lx + 36, ly, line, ink, 2);
        ly += 20;
        line = w;
      } else line = line ? `${line} ${w}` : w;
    }
    c.text(lx + 36, ly, line, ink, 2);
    ly += 34;
  }
  return c.png();
}
