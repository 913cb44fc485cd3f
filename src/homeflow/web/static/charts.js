// Draw each chart from its Vega-Lite spec (a JSON data block beside it). `ast: true` uses
// vega-embed's expression interpreter, so no code is generated at run time (CSP: no eval);
// the canvas renderer sets no inline styles.
//
// The spec's width is the printed report's; on a page a chart fits the box it is drawn in,
// whatever the window's width, and is redrawn to fit when the window changes: a single view
// takes its container's width, a grid of views (a facet) shares it between its columns.
const FIT = { type: 'fit-x', contains: 'padding', resize: true }
const GRID_GAP = 20 // about the space Vega-Lite leaves between a facet's views and beside them

function fitted (spec, holder) {
  if (spec.facet && spec.spec) {
    const columns = spec.columns || 1
    const room = holder.clientWidth - 90 - GRID_GAP * columns // the y axis and the gaps
    return { ...spec, spec: { ...spec.spec, width: Math.max(120, Math.floor(room / columns)) } }
  }
  if (spec.hconcat || spec.vconcat || spec.concat || spec.repeat) return spec
  return { ...spec, width: 'container', autosize: FIT }
}

for (const holder of document.querySelectorAll('[data-spec-id]')) {
  const spec = JSON.parse(document.getElementById(holder.dataset.specId).textContent)
  vegaEmbed(holder, fitted(spec, holder), {
    ast: true,
    renderer: 'canvas',
    actions: false,
    defaultStyle: false,
    tooltip: { disableDefaultStyle: true }
  })
}
