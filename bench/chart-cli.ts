/**
 * The chart of a results.json, drawn again without running the benchmark:
 *
 *   node .bench/build/chart-cli.js .bench/results.json .bench/chart.png
 *
 * (Kept apart from chart.ts, which draws and knows nothing of results.)
 */
import { readFileSync, writeFileSync } from "node:fs";
import { chartFromResults } from "./report";

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  console.error("usage: chart-cli.js results.json chart.png");
  process.exit(2);
}
writeFileSync(output, chartFromResults(JSON.parse(readFileSync(input, "utf8"))));
console.log(`wrote ${output}`);
