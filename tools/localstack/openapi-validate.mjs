// Validates an OpenAPI document against the specification's own JSON Schema (3.0 or 3.1, by its "openapi" field).
//   node openapi-validate.mjs <file.json>
// Prints {"valid":bool,"version":"3.1","errors":[...]} on stdout; exit 0 when valid, 1 when not, 2 on a usage error.
import { readFile } from "node:fs/promises";
import { Validator } from "@seriousme/openapi-schema-validator";

const [file] = process.argv.slice(2);
if (!file) {
  console.error("usage: node openapi-validate.mjs <file.json>");
  process.exit(2);
}

const validator = new Validator();
const document = JSON.parse(await readFile(file, "utf8"));
const result = await validator.validate(document);
console.log(JSON.stringify({ valid: result.valid, version: validator.version, errors: result.errors ?? [] }));
process.exit(result.valid ? 0 : 1);
