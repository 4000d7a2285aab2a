// Plain JavaScript: a Vite config loads it with Node, which does not strip types from a package.

/**
 * Markup in libraries the designer uses that carries inline `style` attributes, which the app's
 * Content-Security-Policy refuses (`style-src 'self'`), rewritten at build time to the same
 * elements without them; the designer's stylesheets give them that layout by class. A library
 * upgrade that changes the markup fails the build here rather than drawing a broken panel.
 */
/** @type {{ module: RegExp; from: string; to: string }[]} */
const REWRITES = [
  {
    module: /bpmn-js-properties-panel\/dist\/index\.esm\.js$/,
    from: `domify('<div style="height: 100%" tabindex="-1" class="bio-properties-panel-container"></div>')`,
    to: `domify('<div tabindex="-1" class="bio-properties-panel-container"></div>')`,
  },
  {
    module: /bpmn-js-properties-panel\/dist\/index\.esm\.js$/,
    from: `domify('<div style="flex: none; height: auto" class="bio-properties-panel bio-theme-parent bio-properties-panel-header-container"></div>')`,
    to: `domify('<div class="bio-properties-panel bio-theme-parent bio-properties-panel-header-container"></div>')`,
  },
];

/** @returns {import('vite').Plugin} */
export function strictCsp() {
  return {
    name: 'attest-strict-csp',
    enforce: 'pre',
    transform(code, id) {
      const path = (id.split('?')[0] ?? id).replaceAll('\\', '/');
      const rewrites = REWRITES.filter((r) => r.module.test(path));
      if (rewrites.length === 0) return null;
      let out = code;
      for (const r of rewrites) {
        if (!out.includes(r.from))
          this.error(`${path} no longer holds the markup the designer rewrites for the CSP: ${r.from}`);
        out = out.replace(r.from, r.to);
      }
      return { code: out, map: null };
    },
  };
}
