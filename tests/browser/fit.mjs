// What "reads well on a narrow screen" means, checked the same way on the dashboard and on the
// report: no text drawn smaller than 11 px, nothing wider than the card it sits in, and no
// sideways scroll of the page.

// The smallest text allowed, in CSS pixels as drawn.
export const MIN_TEXT_PX = 11;

// Every way `page` fails to fit its width, as sentences (none: it fits). `cards` is a CSS
// selector for the boxes nothing may stick out of.
export async function misfits(page, cards) {
  return page.evaluate(([cards, minimum]) => {
    const problems = [];
    const describe = (node) => {
      const text = (node.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 40);
      const classes = typeof node.className === 'string' && node.className ? '.' + node.className.split(' ').join('.') : '';
      return `<${node.tagName.toLowerCase()}${classes}> "${text}"`;
    };
    const shown = (node) => {
      const rect = node.getBoundingClientRect();
      const style = getComputedStyle(node);
      return rect.width > 0 && rect.height > 0 && style.visibility !== 'hidden' && style.display !== 'none';
    };
    // An SVG scaled to fit draws its text smaller (or larger) than its font-size says.
    const scale = (node) => {
      const svg = node.closest('svg');
      if (!svg) return 1;
      const box = svg.viewBox && svg.viewBox.baseVal;
      const drawnAs = box && box.width > 0 ? box.width : svg.getBoundingClientRect().width;
      return svg.getBoundingClientRect().width / drawnAs;
    };

    const page = document.scrollingElement;
    if (page.scrollWidth > page.clientWidth) {
      problems.push(`the page scrolls sideways: ${page.scrollWidth} > ${page.clientWidth} px`);
    }

    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const seen = new Set();
    for (let text = walker.nextNode(); text; text = walker.nextNode()) {
      const node = text.parentElement;
      if (!text.textContent.trim() || seen.has(node) || !shown(node)) continue;
      seen.add(node);
      const size = parseFloat(getComputedStyle(node).fontSize) * scale(node);
      if (size < minimum - 0.05) problems.push(`text of ${size.toFixed(1)} px: ${describe(node)}`);
    }

    for (const card of document.querySelectorAll(cards)) {
      if (!shown(card)) continue;
      const box = card.getBoundingClientRect();
      if (card.scrollWidth > card.clientWidth + 1) {
        problems.push(`${describe(card)} is ${card.scrollWidth} px wide inside, ${card.clientWidth} px outside`);
      }
      for (const inner of card.querySelectorAll('*')) {
        if (!shown(inner)) continue;
        const rect = inner.getBoundingClientRect();
        if (rect.left < box.left - 1 || rect.right > box.right + 1) {
          problems.push(`${describe(inner)} (${Math.round(rect.left)} to ${Math.round(rect.right)} px) sticks out of ${describe(card)} (${Math.round(box.left)} to ${Math.round(box.right)} px)`);
        }
      }
    }
    return problems;
  }, [cards, MIN_TEXT_PX]);
}
