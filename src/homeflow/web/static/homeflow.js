// Start the NHS design system's components (header menu, error summary focus, ...).
// The class the design system's inline snippet would add is added here: the CSP allows
// no inline script.
import { initAll } from './nhsuk/nhsuk-frontend.min.js'

document.body.classList.add('nhsuk-frontend-supported')
initAll()
document.body.addEventListener('htmx:afterSwap', () => initAll())
