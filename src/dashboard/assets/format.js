// Numbers as the dashboard writes them: the rules of the report's `report/sigfig.rs` and
// `report/typical.rs`, so that the page and the report print the same figures for the same
// finding. tests/it/dashboard/browser.rs runs these functions in node and checks them against
// the Rust ones. Both round the number's exact binary value; the one place they may differ is an
// exact tie (1.125 to three figures: Rust rounds to even, JavaScript up), which an effect
// computed from data does not land on.
'use strict';

(() => {
  // Decimal exponents within which a number is written without an exponent.
  const PLAIN_LOW = -4;
  const PLAIN_HIGH = 5;

  // Splits "4.12e-3" or "1.23e+3" into the mantissa text and the exponent.
  function split(scientific) {
    const [mantissa, exponent] = scientific.split('e');
    return [mantissa, Number(exponent)];
  }

  // Three significant figures, trailing zeros kept, in plain decimals from 0.0001 to just
  // under a million and with an exponent beyond ("4.12e-5"); "—" when there is no number.
  function sig3(x) {
    if (typeof x !== 'number' || !Number.isFinite(x)) return '—';
    if (x === 0) return '0';
    const scientific = x.toExponential(2);
    const [mantissa, exponent] = split(scientific);
    if (exponent < PLAIN_LOW || exponent > PLAIN_HIGH) return mantissa + 'e' + exponent;
    return Number(scientific).toFixed(Math.max(0, 2 - exponent));
  }

  // sig3 with a "+" on positive numbers, for an effect whose direction is the point.
  function signed(x) {
    const text = sig3(x);
    return typeof x === 'number' && x > 0 ? '+' + text : text;
  }

  // A 95 % interval, "0.412 to 0.688".
  function interval(ci) {
    const [low, high] = Array.isArray(ci) ? ci : [null, null];
    return sig3(low) + ' to ' + sig3(high);
  }

  // A typical change (1, 2 or 5 times a power of ten) as it reads after "is … higher":
  // "5", "0.02", "5e-7"; "5/hour" for a rate.
  function amount(summary, change) {
    if (typeof change !== 'number' || !Number.isFinite(change)) return '—';
    const scientific = change.toExponential(0);
    const [mantissa, exponent] = split(scientific);
    const number = exponent < PLAIN_LOW || exponent > PLAIN_HIGH
      ? mantissa + 'e' + exponent
      : change.toFixed(Math.max(0, -exponent));
    return summary === 'rate' ? number + '/hour' : number;
  }

  // An axis tick: as short as the number allows ("5", not "5.0"; "0.3", not
  // "0.30000000000000004").
  function tick(x) {
    const rounded = Number(x.toPrecision(10));
    return rounded === 0 ? '0' : String(rounded);
  }

  globalThis.millraceFormat = Object.freeze({ sig3, signed, interval, amount, tick });
})();
