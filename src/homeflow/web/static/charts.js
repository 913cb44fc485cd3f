// Draw each chart from its Vega-Lite spec (a JSON data block beside it). `ast: true` uses
// vega-embed's expression interpreter, so no code is generated at run time (CSP: no eval);
// the canvas renderer sets no inline styles.
for (const holder of document.querySelectorAll('[data-spec-id]')) {
  const spec = JSON.parse(document.getElementById(holder.dataset.specId).textContent)
  vegaEmbed(holder, spec, {
    ast: true,
    renderer: 'canvas',
    actions: false,
    defaultStyle: false,
    tooltip: { disableDefaultStyle: true }
  })
}
