// Prints `N passed, N failed[, N skipped]` from a VSTest .trx file's <Counters .../> element.
//   node tools/localstack/trx-summary.mjs results.trx
import { readFileSync } from "node:fs";

const counters = readFileSync(process.argv[2], "utf8").match(/<Counters\b[^>]*>/)?.[0] ?? "";
const count = (name) => Number(counters.match(new RegExp(`\\b${name}="(\\d+)"`))?.[1] ?? 0);
const failed = count("failed") + count("error") + count("timeout") + count("aborted");
const skipped = count("notExecuted");
console.log(`${count("passed")} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
