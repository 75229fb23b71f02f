// Runs the dashboard's number formatting (src/dashboard/assets/format.js) in node, for
// tests/it/dashboard/browser.rs to hold against the report's own (report/sigfig.rs,
// report/typical.rs).
//
//   node tests/browser/format.mjs FORMAT_JS CASES_JSON
//
// CASES_JSON is a list of [function, summary or null, number as text]; the answer, on stdout,
// is the list of what each call wrote.
import { readFileSync } from 'node:fs';
import vm from 'node:vm';

const [script, cases] = process.argv.slice(2);
const context = vm.createContext({});
vm.runInContext(readFileSync(script, 'utf8'), context);
const format = context.millraceFormat;
const written = JSON.parse(cases).map(([name, summary, number]) => (name === 'amount'
  ? format.amount(summary, Number(number))
  : format[name](Number(number))));
console.log(JSON.stringify(written));
