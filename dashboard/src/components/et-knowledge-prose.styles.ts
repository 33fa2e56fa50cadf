import { css } from "lit";

/** The rendered Markdown of her files, in the same hand as her messages. */
export const proseStyles = css`
  .prose {
    font-family: var(--font-serif);
    font-size: 16.5px;
    line-height: 1.6;
    overflow-wrap: anywhere;
  }
  .prose > :first-child {
    margin-top: 0;
  }
  .prose > :last-child {
    margin-bottom: 0;
  }
  .prose h1,
  .prose h2,
  .prose h3,
  .prose h4 {
    font-family: var(--font-serif);
    font-weight: 600;
    margin: 1em 0 0.4em;
    line-height: 1.3;
  }
  .prose h1 {
    font-size: 1.35em;
  }
  .prose h2 {
    font-size: 1.2em;
  }
  .prose h3,
  .prose h4 {
    font-size: 1.05em;
  }
  .prose p,
  .prose ul,
  .prose ol {
    margin: 0.5em 0;
  }
  .prose ul,
  .prose ol {
    padding-left: 1.4em;
  }
  .prose li + li {
    margin-top: 0.2em;
  }
  .prose code,
  .prose pre {
    font-family: var(--font-mono);
    font-size: 0.85em;
  }
  .prose pre {
    background: var(--bg-recessed);
    padding: var(--space-2) var(--space-3);
    border-radius: var(--radius-sm);
    overflow-x: auto;
  }
  .prose blockquote {
    margin: 0.5em 0;
    padding-left: var(--space-3);
    border-left: 3px solid var(--border-strong);
    color: var(--text-muted);
  }
  .prose table {
    border-collapse: collapse;
  }
  .prose th,
  .prose td {
    border: 1px solid var(--border);
    padding: var(--space-1) var(--space-2);
  }
`;
