// Offline schema check of Kubernetes manifests (e.g. `kubectl kustomize deploy/k8s | node validate-k8s.mjs -`):
//  1. types, required fields and enums with kubernetes-models' JSON schemas;
//  2. unknown fields, which the OpenAPI schemas allow, with the attribute
//     maps of @kubernetes/client-node's generated models.
// Prints "N passed, N failed" and exits 1 on any failure.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import * as models from "@kubernetes/client-node/dist/gen/models/all.js";

const input = readFileSync(process.argv[2] === undefined || process.argv[2] === "-" ? 0 : process.argv[2], "utf8");
let passed = 0, failed = 0;

function typeName(apiVersion, kind) {
  const version = apiVersion.split("/").pop();
  return version.charAt(0).toUpperCase() + version.slice(1) + kind;
}

const primitives = new Set(["string", "number", "boolean", "Date", "any", "object", "IntOrString", "RuntimeRawExtension"]);

function strict(value, type, path, errors) {
  if (value === null || value === undefined || primitives.has(type)) return;
  let m = /^Array<(.+)>$/.exec(type);
  if (m) {
    if (!Array.isArray(value)) { errors.push(`${path}: expected an array`); return; }
    value.forEach((v, i) => strict(v, m[1], `${path}[${i}]`, errors));
    return;
  }
  m = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (m) {
    if (typeof value !== "object" || Array.isArray(value)) { errors.push(`${path}: expected a map`); return; }
    for (const [k, v] of Object.entries(value)) strict(v, m[1], `${path}.${k}`, errors);
    return;
  }
  const cls = models[type];
  if (!cls || !cls.attributeTypeMap) return;  // enums and unknown helper types
  if (typeof value !== "object" || Array.isArray(value)) { errors.push(`${path}: expected an object (${type})`); return; }
  const attrs = new Map(cls.attributeTypeMap.map((a) => [a.baseName, a.type]));
  for (const [k, v] of Object.entries(value)) {
    if (!attrs.has(k)) { errors.push(`${path}.${k}: unknown field (in ${type})`); continue; }
    strict(v, attrs.get(k), `${path}.${k}`, errors);
  }
}

for (const doc of parseAllDocuments(input)) {
  if (doc.errors.length) { console.log(`FAIL yaml: ${doc.errors[0].message}`); failed++; continue; }
  const obj = doc.toJS();
  if (!obj) continue;
  const name = `${obj.kind}/${obj.metadata?.name}`;
  const errors = [];
  try {
    const mod = await import(`kubernetes-models/${obj.apiVersion}`);
    const Cls = mod[obj.kind];
    if (!Cls) throw new Error(`unknown kind ${obj.kind} in ${obj.apiVersion}`);
    new Cls(obj).validate();
  } catch (e) {
    errors.push(String(e.message ?? e).split("\n").slice(0, 4).join(" | "));
  }
  strict(obj, typeName(obj.apiVersion, obj.kind), name, errors);
  if (errors.length) { failed++; console.log(`FAIL ${name}: ${errors.join("; ")}`); }
  else { passed++; console.log(`ok   ${name}`); }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
