import type { TopLevelSpec } from 'vega-lite';

/**
 * Renders a vega-lite spec to a standalone SVG string on the server: vega's headless View, no
 * browser, no canvas. White background and a sans-serif font unless the spec's config says
 * otherwise. vega is loaded on first use, so importing core stays cheap for the server.
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const { spec: vgSpec } = compile({
    ...spec,
    config: { font: 'Helvetica, Arial, sans-serif', background: 'white', ...(spec.config ?? {}) },
  } as TopLevelSpec);
  const view = new vega.View(vega.parse(vgSpec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterises an SVG chart to PNG on white (sharp/librsvg), e.g. for READMEs and trackers. */
export async function svgToPng(svg: string, density = 144): Promise<Buffer> {
  const { default: sharp } = await import('sharp');
  return sharp(Buffer.from(svg), { density }).flatten({ background: '#ffffff' }).png().toBuffer();
}
