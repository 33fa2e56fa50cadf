import { css, unsafeCSS } from "lit";

// The design tokens, set once on the document; every component reads them through custom
// properties, which pass into shadow roots. System fonts only: nothing is fetched.

const light = `
  --bg: #f6f4ef;
  --bg-elev: #ffffff;
  --bg-recessed: #ece8df;
  --surface-hover: rgba(0, 0, 0, 0.05);
  --text: #1b1a18;
  --text-muted: #5a564f;
  --border: #d6d1c6;
  --border-strong: #9d968a;
  --accent: #a9470f;
  --accent-bg: #f5e3d6;
  --on-accent: #ffffff;
  --danger: #b3261e;
  --danger-bg: #fbe3e1;
  --ok: #2e6b34;
  --ok-bg: #e1efe0;
  --warn: #8a5a00;
  --warn-bg: #f8ecd2;
  --focus: #1d5fd1;
  --mine-bg: #e9e4d8;
  --shadow: 0 1px 2px rgba(0, 0, 0, 0.06), 0 4px 16px rgba(0, 0, 0, 0.06);
  color-scheme: light;
`;

const dark = `
  --bg: #0f0f17;
  --bg-elev: #191923;
  --bg-recessed: #0a0a10;
  --surface-hover: rgba(255, 255, 255, 0.06);
  --text: #f3f3f5;
  --text-muted: #b4b4c0;
  --border: #33333f;
  --border-strong: #6e6e7d;
  --accent: #f0c868;
  --accent-bg: #3a3222;
  --on-accent: #1a1405;
  --danger: #ff8a80;
  --danger-bg: #3d1c1c;
  --ok: #8fd49a;
  --ok-bg: #1b3220;
  --warn: #f0c868;
  --warn-bg: #3a3222;
  --focus: #8ab4ff;
  --mine-bg: #23232f;
  --shadow: 0 1px 2px rgba(0, 0, 0, 0.4), 0 6px 20px rgba(0, 0, 0, 0.35);
  color-scheme: dark;
`;

export const tokens = css`
  :root {
    --font-sans: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
    --font-serif: "Iowan Old Style", "Palatino Linotype", Palatino, "Book Antiqua", Georgia, serif;
    --font-mono: ui-monospace, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace;
    --size-sm: 13px;
    --size-base: 15px;
    --size-lg: 18px;
    --size-xl: 24px;
    --space-1: 4px;
    --space-2: 8px;
    --space-3: 12px;
    --space-4: 16px;
    --space-5: 24px;
    --space-6: 32px;
    --space-7: 48px;
    --radius-sm: 6px;
    --radius-md: 10px;
    --radius-lg: 16px;
    --time-quick: 150ms;
    ${unsafeCSS(light)}
  }
  :root[data-theme="dark"] {
    ${unsafeCSS(dark)}
  }
  @media (prefers-color-scheme: dark) {
    :root:not([data-theme="light"]) {
      ${unsafeCSS(dark)}
    }
  }
  html,
  body {
    background: var(--bg);
    color: var(--text);
    font-family: var(--font-sans);
    font-size: var(--size-base);
  }
  @media (prefers-reduced-motion: reduce) {
    * {
      animation: none !important;
      transition: none !important;
    }
  }
`;

/** Controls every component shares: buttons, fields, focus that shows, text for screen readers. */
export const controls = css`
  :host {
    box-sizing: border-box;
  }
  *,
  *::before,
  *::after {
    box-sizing: inherit;
  }
  button,
  .button {
    font: inherit;
    font-size: var(--size-sm);
    font-weight: 600;
    display: inline-flex;
    align-items: center;
    justify-content: center;
    gap: var(--space-2);
    min-height: 36px;
    padding: 0 var(--space-4);
    border-radius: var(--radius-sm);
    border: 1px solid var(--border-strong);
    background: var(--bg-elev);
    color: var(--text);
    cursor: pointer;
    text-decoration: none;
    white-space: nowrap;
  }
  button:hover:not(:disabled),
  .button:hover {
    background: var(--surface-hover);
  }
  button:disabled {
    opacity: 0.55;
    cursor: not-allowed;
  }
  button.primary,
  .button.primary {
    background: var(--accent);
    border-color: var(--accent);
    color: var(--on-accent);
  }
  button.primary:hover:not(:disabled) {
    filter: brightness(1.08);
    background: var(--accent);
  }
  button.danger {
    color: var(--danger);
    border-color: var(--danger);
  }
  button.danger.solid {
    background: var(--danger);
    color: var(--bg-elev);
  }
  button.quiet {
    border-color: transparent;
    background: transparent;
  }
  :focus-visible {
    outline: 3px solid var(--focus);
    outline-offset: 2px;
  }
  input,
  textarea,
  select {
    font: inherit;
    color: var(--text);
    background: var(--bg-elev);
    border: 1px solid var(--border-strong);
    border-radius: var(--radius-sm);
    padding: var(--space-2) var(--space-3);
    min-height: 36px;
    width: 100%;
  }
  textarea {
    resize: vertical;
    line-height: 1.5;
  }
  input:focus-visible,
  textarea:focus-visible,
  select:focus-visible {
    outline: 3px solid var(--focus);
    outline-offset: 0;
    border-color: var(--focus);
  }
  input[aria-invalid="true"],
  select[aria-invalid="true"],
  textarea[aria-invalid="true"] {
    border-color: var(--danger);
  }
  label {
    display: block;
    font-size: var(--size-sm);
    font-weight: 600;
  }
  .hint {
    color: var(--text-muted);
    font-size: var(--size-sm);
  }
  .error {
    color: var(--danger);
    font-size: var(--size-sm);
  }
  .sr-only {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
  }
  h1,
  h2,
  h3 {
    font-family: var(--font-serif);
    font-weight: 500;
    margin: 0;
  }
  a {
    color: var(--accent);
  }
  .card {
    background: var(--bg-elev);
    border: 1px solid var(--border);
    border-radius: var(--radius-md);
    box-shadow: var(--shadow);
  }
`;

/** A screen that is one form: her creation, her restoring. */
export const formPage = css`
  :host {
    display: block;
    max-width: 820px;
  }
  form {
    display: flex;
    flex-direction: column;
    gap: var(--space-4);
  }
  .intro {
    margin: 0;
    color: var(--text-muted);
    line-height: 1.6;
  }
`;

/** A short list of facts (`dl`): names muted on the left, values wrapping on the right. */
export const facts = css`
  dl {
    margin: 0;
    display: grid;
    grid-template-columns: auto minmax(0, 1fr);
    gap: var(--space-1) var(--space-3);
    font-size: var(--size-sm);
  }
  dt {
    color: var(--text-muted);
  }
  dd {
    margin: 0;
    overflow-wrap: anywhere;
  }
`;
