// Start the NHS design system's components (header menu, error summary focus, ...).
// The class the design system's inline snippet would add is added here: the CSP allows
// no inline script.
import { initAll } from './nhsuk/nhsuk-frontend.min.js'

document.body.classList.add('nhsuk-frontend-supported')
initAll()
document.body.addEventListener('htmx:afterSwap', () => initAll())

// The whiteboard's cells open one small form each: opening one closes the others, Escape
// closes it and puts the focus back on the value tapped.
document.addEventListener('toggle', (event) => {
  const opened = event.target
  if (!(opened instanceof HTMLDetailsElement) || !opened.classList.contains('hf-edit') || !opened.open) return
  document.querySelectorAll('details.hf-edit[open]').forEach((other) => {
    if (other !== opened) other.open = false
  })
  // A cell that came back refused puts the focus on the first field at fault.
  const first = opened.querySelector('[aria-invalid=true]') || opened.querySelector('input:not([type=hidden]), select')
  if (first) first.focus()
}, true)
document.addEventListener('keydown', (event) => {
  if (event.key !== 'Escape') return
  const open = event.target instanceof Element ? event.target.closest('details.hf-edit[open]') : null
  if (!open) return
  open.open = false
  open.querySelector('summary').focus()
})
document.addEventListener('click', (event) => {
  if (event.target instanceof Element && event.target.closest('[data-print]')) window.print()
})
