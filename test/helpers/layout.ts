import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';

/** A phone held upright (the width of most current phones, in CSS pixels). */
export const PHONE = { width: 390, height: 844 } as const;

interface Overflow {
  readonly viewport: number;
  readonly scrollWidth: number;
  readonly clientWidth: number;
  /** The innermost elements that reach out of the window sideways, described for a failure message. */
  readonly outside: readonly string[];
}

/**
 * Fails when the page as it is now scrolls sideways, or when an element reaches out of the
 * window on the left or right. An element inside a box that scrolls or clips sideways and
 * itself fits the window does not count: a wide data table may scroll inside its card
 * (WCAG 1.4.10 exempts content that needs two dimensions), the page may not.
 */
export async function checkNoSidewaysScroll(page: Page, label: string): Promise<void> {
  // A script, not a function: the test runner's compiler would add helpers the page does not have.
  const found = (await page.evaluate(MEASURE)) as Overflow;
  const where = found.outside.length > 0 ? `\n  ${found.outside.join('\n  ')}` : '';
  assert.ok(
    found.scrollWidth <= found.clientWidth && found.scrollWidth <= found.viewport,
    `${label}: at ${found.viewport} px the page scrolls sideways (${found.scrollWidth} px wide, ${found.clientWidth} px shown)${where}`,
  );
  assert.equal(found.outside.length, 0, `${label}: elements reach out of the ${found.viewport} px window:${where}`);
}

/** Measures the page in the browser (see checkNoSidewaysScroll); evaluates to an Overflow. */
const MEASURE = `(() => {
  const viewport = window.innerWidth;
  const scroller = document.scrollingElement || document.documentElement;
  const clientWidth = document.documentElement.clientWidth;
  const fits = (rect) => rect.left >= -0.5 && rect.right <= clientWidth + 0.5;
  const lifted = (style) => style.position === 'absolute' || style.position === 'fixed';
  // Inside a box that scrolls or clips sideways and fits the window, an element does not widen
  // the page; but such a box clips an absolutely positioned element only when it is that
  // element's containing block or holds it (a visually hidden label in a table escapes a
  // scrolling box that is not positioned, and widens the page).
  const contained = (element) => {
    let escaping = lifted(getComputedStyle(element));
    for (let box = element.parentElement; box && box !== document.body; box = box.parentElement) {
      const style = getComputedStyle(box);
      if (escaping && style.position === 'static') continue;
      if ((style.overflowX !== 'visible' || style.clipPath !== 'none') && fits(box.getBoundingClientRect())) return true;
      escaping = lifted(style);
    }
    return false;
  };
  const outside = Array.from(document.body.querySelectorAll('*')).filter((element) => {
    const rect = element.getBoundingClientRect();
    if (rect.width === 0 && rect.height === 0) return false; // not shown
    return !fits(rect) && !contained(element);
  });
  const describe = (element) => {
    const rect = element.getBoundingClientRect();
    const classes = typeof element.className === 'string' && element.className ? '.' + element.className.trim().split(/\\s+/).join('.') : '';
    const text = (element.textContent || '').replace(/\\s+/g, ' ').trim().slice(0, 50);
    return element.tagName.toLowerCase() + classes + ' "' + text + '" from ' + Math.round(rect.left) + ' to ' + Math.round(rect.right) + ' px';
  };
  return {
    viewport,
    scrollWidth: scroller.scrollWidth,
    clientWidth,
    outside: outside.filter((element) => !outside.some((other) => other !== element && element.contains(other))).slice(0, 8).map(describe),
  };
})()`;
