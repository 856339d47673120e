import '@testing-library/jest-dom';

// jsdom has no SVG layout; the dependency graph measures its nodes with getBBox.
if (!(window.SVGElement.prototype as any).getBBox) {
  (window.SVGElement.prototype as any).getBBox = () => ({
    x: 0,
    y: 0,
    width: 240,
    height: 104,
  });
}

// Component tests type and click like a person; on a loaded two-core machine that takes longer
// than Jest's default five seconds.
jest.setTimeout(30_000);
