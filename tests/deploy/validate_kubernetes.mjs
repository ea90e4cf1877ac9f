// Validates Kubernetes manifests against the API's schemas, as the models of
// the npm packages kubernetes-models (the core API groups) and
// @kubernetes-models/prometheus-operator (ServiceMonitor) carry them: types,
// required fields, enums and formats (int32, quantities are strings or
// integers, ...). They do not reject unknown fields; check_kubernetes.py
// requires the fields that matter by name.
//
// Usage: node validate_kubernetes.mjs FILE.yaml...   (multi-document YAML)
// Prints one line per object; exits 1 when any object is invalid or of a
// kind it has no schema for.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const modules = join(here, "node_modules");
const require = createRequire(join(modules, "package.json"));
const { parseAllDocuments } = require("yaml");

// apiVersion -> the folder of its models.
function modelPath(apiVersion, kind) {
  if (apiVersion.startsWith("monitoring.coreos.com/")) {
    return join(modules, "@kubernetes-models/prometheus-operator", apiVersion, `${kind}.js`);
  }
  return join(modules, "kubernetes-models", apiVersion, `${kind}.js`);
}

let failures = 0;
let checked = 0;
for (const file of process.argv.slice(2)) {
  const documents = parseAllDocuments(readFileSync(file, "utf8"));
  for (const document of documents) {
    if (document.errors.length > 0) {
      console.log(`${file}: YAML error: ${document.errors[0].message}`);
      failures++;
      continue;
    }
    const object = document.toJS();
    if (object === null) continue;
    const where = `${file}: ${object.kind}/${object.metadata?.name}`;
    let module;
    try {
      module = await import(modelPath(String(object.apiVersion), String(object.kind)));
    } catch {
      console.log(`${where}: no schema for ${object.apiVersion} ${object.kind}`);
      failures++;
      continue;
    }
    const Model = module[object.kind];
    try {
      new Model(object).validate();
      console.log(`${where}: valid ${object.apiVersion}`);
      checked++;
    } catch (error) {
      console.log(`${where}: INVALID: ${error.message}`);
      failures++;
    }
  }
}
console.log(`${checked} valid, ${failures} failed`);
process.exit(failures === 0 && checked > 0 ? 0 : 1);
